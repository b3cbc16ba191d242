package dev.coloha.coordinator.decision;

import static dev.coloha.coordinator.decision.DecisionRows.NOT_RESTARTED;
import static dev.coloha.coordinator.decision.DecisionRows.T;
import static dev.coloha.coordinator.decision.DecisionRows.alone;
import static dev.coloha.coordinator.decision.DecisionRows.assertDecided;
import static dev.coloha.coordinator.decision.DecisionRows.in;
import static dev.coloha.coordinator.decision.DecisionRows.row;

import dev.coloha.coordinator.decision.Action.Persist;
import dev.coloha.coordinator.decision.Action.ScheduleRestart;
import dev.coloha.coordinator.decision.DecisionRows.Row;
import dev.coloha.coordinator.decision.Signal.RestartWaits;
import dev.coloha.coordinator.model.GroupState;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decisions on a RESTARTING group's patience (lone-primary-patience: 300 s): one row per line
 * of the transition table in docs/coordinator.md ("Decisions"), the situation, the signal, the
 * actions decided and the next situation ({@link DecisionRows}). Pure: no process, no clock, no
 * I/O.
 */
class RestartDecisionsTest {
  static Stream<Named<Row>> rows() {
    return Stream.of(
        row(
            "restart waits within the patience: tried again after the backoff",
            in(GroupState.RESTARTING).withWaits(Waits.NONE.withRestartingSince(T)),
            new RestartWaits(T.plusSeconds(300)),
            new ScheduleRestart(T.plusSeconds(300))),
        row(
            "restart waits past the patience: FAILED",
            in(GroupState.RESTARTING).withWaits(Waits.NONE.withRestartingSince(T)),
            new RestartWaits(T.plusSeconds(301)),
            List.of(new Persist("failed", NOT_RESTARTED)),
            s ->
                s.withWaits(Waits.NONE)
                    .withGroup(s.group().with(GroupState.FAILED, NOT_RESTARTED))),
        row(
            "restart waits, no longer RESTARTING: nothing",
            alone(GroupState.DEGRADED).withWaits(Waits.NONE.withRestartingSince(T)),
            new RestartWaits(T.plusSeconds(301))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void decides(Row row) {
    assertDecided(row);
  }
}
