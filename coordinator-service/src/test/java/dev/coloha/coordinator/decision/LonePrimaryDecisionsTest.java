package dev.coloha.coordinator.decision;

import static dev.coloha.coordinator.decision.DecisionRows.GAVE_UP;
import static dev.coloha.coordinator.decision.DecisionRows.P_HOST;
import static dev.coloha.coordinator.decision.DecisionRows.SPACING;
import static dev.coloha.coordinator.decision.DecisionRows.T;
import static dev.coloha.coordinator.decision.DecisionRows.WAITING;
import static dev.coloha.coordinator.decision.DecisionRows.alone;
import static dev.coloha.coordinator.decision.DecisionRows.assertDecided;
import static dev.coloha.coordinator.decision.DecisionRows.row;
import static dev.coloha.coordinator.decision.DecisionRows.silent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.coordinator.decision.Action.BothLost;
import dev.coloha.coordinator.decision.Action.Persist;
import dev.coloha.coordinator.decision.DecisionRows.Row;
import dev.coloha.coordinator.decision.Signal.LonePrimaryAnswers;
import dev.coloha.coordinator.decision.Signal.LonePrimaryUnanswered;
import dev.coloha.coordinator.decision.Signal.ProbeFailed;
import dev.coloha.coordinator.decision.Waits.LonePrimary;
import dev.coloha.coordinator.model.GroupState;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decisions on a lone primary's silence (lone-primary-patience: 300 s): one row per line of the
 * transition table in docs/coordinator.md ("Decisions"), the situation, the signal, the actions
 * decided and the next situation ({@link DecisionRows}). Pure: no process, no clock, no I/O.
 */
class LonePrimaryDecisionsTest {
  static Stream<Named<Row>> rows() {
    return Stream.of(
        row(
            "lone primary unanswered: waited for, persisted once",
            alone(GroupState.DEGRADED),
            new LonePrimaryUnanswered(P_HOST, "r", T),
            List.of(new Persist("primary-unreachable", WAITING)),
            s ->
                s.withWaits(Waits.NONE.withLonePrimary(new LonePrimary(T, T.plus(SPACING), "why")))
                    .withGroup(s.group().with(GroupState.DEGRADED, WAITING))),
        row(
            "lone primary unanswered within the patience: wait, the next probe spaced",
            silent(GroupState.DEGRADED),
            new LonePrimaryUnanswered(P_HOST, "r", T.plusSeconds(299)),
            List.of(),
            s ->
                s.withWaits(
                    Waits.NONE.withLonePrimary(
                        new LonePrimary(T, T.plusSeconds(299).plus(SPACING), "why")))),
        row(
            "lone primary unanswered for the patience: FAILED",
            silent(GroupState.DEGRADED),
            new LonePrimaryUnanswered(P_HOST, "r", T.plusSeconds(300)),
            List.of(new Persist("failed", GAVE_UP)),
            s ->
                s.withWaits(Waits.NONE)
                    .withGroup(
                        s.group().with(GroupState.FAILED, GAVE_UP + " (no synced secondary)"))),
        row(
            "lone primary unanswered while FAILED: nothing",
            alone(GroupState.FAILED),
            new LonePrimaryUnanswered(P_HOST, "r", T)),
        row(
            "lone primary answers: the wait ends, its reason back, persisted",
            silent(GroupState.DEGRADED),
            new LonePrimaryAnswers("it answers a probe", T.plusSeconds(5)),
            List.of(
                new Persist(
                    "primary-reachable",
                    "primary on "
                        + P_HOST
                        + " is back (it answers a probe) after 5000 ms of silence")),
            s -> s.withWaits(Waits.NONE).withGroup(s.group().with(GroupState.DEGRADED, "why"))),
        row(
            "lone primary answers, not waited for: nothing",
            alone(GroupState.DEGRADED),
            new LonePrimaryAnswers("its heartbeats are back", T)),
        row(
            "lone primary answers once FAILED: the wait ends, nothing persisted",
            silent(GroupState.FAILED),
            new LonePrimaryAnswers("its heartbeats are back", T),
            List.of(),
            s -> s.withWaits(Waits.NONE)),
        row(
            "lone primary found without its VM: the wait ends, both lost",
            silent(GroupState.DEGRADED),
            new ProbeFailed(Role.PRIMARY, "gone"),
            List.of(new BothLost("gone")),
            s -> s.withWaits(Waits.NONE)));
  }

  @Test
  void probesOfASilentLonePrimaryAreSpaced() {
    assertThat(WaitDecisions.mayProbeLonePrimary(alone(GroupState.DEGRADED), T)).isTrue();
    Situation s = silent(GroupState.DEGRADED);
    assertThat(WaitDecisions.mayProbeLonePrimary(s, T.plus(SPACING).minusMillis(1))).isFalse();
    assertThat(WaitDecisions.mayProbeLonePrimary(s, T.plus(SPACING))).isTrue();
  }

  @Test
  void zeroPatienceGivesUpOnALonePrimaryAtItsFirstFailedProbe() {
    GroupDecisions.Limits none =
        new GroupDecisions.Limits(3, Duration.ZERO, 10, Duration.ofMinutes(2));
    Decision d =
        GroupDecisions.decide(
            alone(GroupState.DEGRADED), new LonePrimaryUnanswered(P_HOST, "r", T), none);
    assertThat(d.next().group().state()).isEqualTo(GroupState.FAILED);
    assertThat(d.next().waits()).isEqualTo(Waits.NONE);
    assertThatThrownBy(
            () -> new GroupDecisions.Limits(3, Duration.ofSeconds(-1), 10, Duration.ofMinutes(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lone-primary-patience");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void decides(Row row) {
    assertDecided(row);
  }
}
