package dev.coloha.coordinator.decision;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.decision.Action.CleanOrphans;
import dev.coloha.coordinator.decision.Signal.CheckpointFailed;
import dev.coloha.coordinator.decision.Waits.LonePrimary;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.TestGroups;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Named;

/**
 * What the decision tables share: the group they start from (PROTECTED on two hosts, epoch 5), the
 * limits (max-checkpoint-failures 3, the others at their defaults), the situations and signals the
 * rows are written with, and the one assertion each row makes. One test class a kind of decision,
 * one row per line of the transition table in docs/coordinator.md ("Decisions"). Pure: no process,
 * no clock, no I/O.
 */
final class DecisionRows {
  private DecisionRows() {}

  static final GroupDecisions.Limits LIMITS = new GroupDecisions.Limits(3);
  static final Instant T = Instant.parse("2026-01-01T00:00:10Z");
  static final Group PROTECTED = TestGroups.group("kv", 5, GroupState.PROTECTED);
  static final String P_URL = PROTECTED.primary().agentUrl();
  static final String S_URL = PROTECTED.secondary().agentUrl();
  static final CleanOrphans CLEAN = new CleanOrphans();
  static final String MOVED =
      "the proxy moved from " + PROTECTED.proxyUrl() + " to http://standby (its standby took over)";

  record Row(
      Situation before, Signal signal, List<Action> actions, UnaryOperator<Situation> next) {}

  static Situation in(GroupState state) {
    return Situation.of(PROTECTED.with(state, "why"));
  }

  static Situation alone(GroupState state) {
    return Situation.of(PROTECTED.withReplicas(PROTECTED.primary(), null).with(state, "why"));
  }

  static CheckpointFailed failed(Cause cause, String problem) {
    return new CheckpointFailed(cause, CheckpointProblem.answered(problem), "m", T);
  }

  static Named<Row> row(
      String name,
      Situation before,
      Signal signal,
      List<Action> actions,
      UnaryOperator<Situation> next) {
    return Named.of(name, new Row(before, signal, actions, next));
  }

  static Named<Row> row(String name, Situation before, Signal signal, Action... actions) {
    return row(name, before, signal, List.of(actions), s -> s);
  }

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final String P_HOST = PROTECTED.primary().host();
  static final Duration SPACING = PROTECTED.policy().suspectAfter();
  static final String WAITING =
      "primary on "
          + P_HOST
          + " does not answer (r); it is the only copy of the service: waiting up to 300 s for it";
  static final String GAVE_UP =
      "primary on "
          + P_HOST
          + " lost: r; silent since "
          + T
          + ", longer than lone-primary-patience (300 s)";
  static final String NOT_RESTARTED =
      "could not restart from its volume on "
          + P_HOST
          + " within lone-primary-patience (300 s): its agent or mirror does not answer";
  static final String NOT_CREATED = "could not be placed and started in 10 attempts over 120 s: m";

  /** A group without a secondary whose primary is silent since T (reason before: "why"). */
  static Situation silent(GroupState state) {
    return alone(state)
        .withWaits(Waits.NONE.withLonePrimary(new LonePrimary(T, T.plus(SPACING), "why")));
  }

  /** The row's signal, decided in its situation, gives its actions and its next situation. */
  static void assertDecided(Row row) {
    Decision d = GroupDecisions.decide(row.before(), row.signal(), LIMITS);
    assertThat(d.actions()).containsExactlyElementsOf(row.actions());
    assertThat(d.next()).isEqualTo(row.next().apply(row.before()));
  }
}
