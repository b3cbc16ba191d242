package dev.coloha.coordinator.decision;

import static dev.coloha.coordinator.decision.DecisionRows.NOT_CREATED;
import static dev.coloha.coordinator.decision.DecisionRows.T;
import static dev.coloha.coordinator.decision.DecisionRows.alone;
import static dev.coloha.coordinator.decision.DecisionRows.assertDecided;
import static dev.coloha.coordinator.decision.DecisionRows.in;
import static dev.coloha.coordinator.decision.DecisionRows.row;

import dev.coloha.coordinator.decision.Action.Persist;
import dev.coloha.coordinator.decision.DecisionRows.Row;
import dev.coloha.coordinator.decision.Signal.ProtectFailed;
import dev.coloha.coordinator.model.GroupState;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decisions on a new group's creation (create-attempts: 10, create-timeout: 120 s): one row per
 * line of the transition table in docs/coordinator.md ("Decisions"), the situation, the signal, the
 * actions decided and the next situation ({@link DecisionRows}). Pure: no process, no clock, no
 * I/O.
 */
class CreationDecisionsTest {
  static Stream<Named<Row>> rows() {
    return Stream.of(
        row(
            "protect failed, CREATING: counted, retrying, persisted",
            in(GroupState.CREATING),
            new ProtectFailed("m", T),
            List.of(new Persist("protect-failed", "m")),
            s ->
                s.withWaits(Waits.NONE.withCreateAttempts(1, T))
                    .withGroup(s.group().with(GroupState.CREATING, "retrying: m"))),
        row(
            "protect failed, attempts spent, create-timeout not: retrying",
            in(GroupState.SYNCING).withWaits(Waits.NONE.withCreateAttempts(9, T)),
            new ProtectFailed("m", T.plusSeconds(119)),
            List.of(new Persist("protect-failed", "m")),
            s ->
                s.withWaits(Waits.NONE.withCreateAttempts(10, T))
                    .withGroup(s.group().with(GroupState.SYNCING, "retrying: m"))),
        row(
            "protect failed, attempts and create-timeout spent: FAILED",
            in(GroupState.CREATING).withWaits(Waits.NONE.withCreateAttempts(9, T)),
            new ProtectFailed("m", T.plusSeconds(120)),
            List.of(new Persist("failed", NOT_CREATED)),
            s ->
                s.withWaits(Waits.NONE.withCreateAttempts(10, T))
                    .withGroup(s.group().with(GroupState.FAILED, NOT_CREATED))),
        row(
            "protect failed, neither CREATING nor SYNCING: nothing",
            alone(GroupState.DEGRADED),
            new ProtectFailed("m", T)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void decides(Row row) {
    assertDecided(row);
  }
}
