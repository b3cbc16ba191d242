package dev.coloha.coordinator.decision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.coordinator.decision.Action.BothLost;
import dev.coloha.coordinator.decision.Action.CleanOrphans;
import dev.coloha.coordinator.decision.Action.Commit;
import dev.coloha.coordinator.decision.Action.CountCheckpointFailure;
import dev.coloha.coordinator.decision.Action.DropSecondary;
import dev.coloha.coordinator.decision.Action.FailOver;
import dev.coloha.coordinator.decision.Action.Follow;
import dev.coloha.coordinator.decision.Action.Persist;
import dev.coloha.coordinator.decision.Action.Probe;
import dev.coloha.coordinator.decision.Action.ProbeMirrors;
import dev.coloha.coordinator.decision.Action.Protect;
import dev.coloha.coordinator.decision.Action.Publish;
import dev.coloha.coordinator.decision.Action.Reprotect;
import dev.coloha.coordinator.decision.Action.ResetRestoreBackoff;
import dev.coloha.coordinator.decision.Action.RestartFromVolume;
import dev.coloha.coordinator.decision.Action.RestoreProxy;
import dev.coloha.coordinator.decision.Action.ScheduleRestart;
import dev.coloha.coordinator.decision.Signal.CheckpointAcked;
import dev.coloha.coordinator.decision.Signal.CheckpointCommitted;
import dev.coloha.coordinator.decision.Signal.CheckpointFailed;
import dev.coloha.coordinator.decision.Signal.CheckpointFailureReview;
import dev.coloha.coordinator.decision.Signal.CheckpointFailureReview.Stage;
import dev.coloha.coordinator.decision.Signal.HostLost;
import dev.coloha.coordinator.decision.Signal.HostSilent;
import dev.coloha.coordinator.decision.Signal.LonePrimaryAnswers;
import dev.coloha.coordinator.decision.Signal.LonePrimaryUnanswered;
import dev.coloha.coordinator.decision.Signal.MirrorsProbed;
import dev.coloha.coordinator.decision.Signal.Mismatch;
import dev.coloha.coordinator.decision.Signal.PolicyChanged;
import dev.coloha.coordinator.decision.Signal.Pressure;
import dev.coloha.coordinator.decision.Signal.ProbeFailed;
import dev.coloha.coordinator.decision.Signal.PromotionFailed;
import dev.coloha.coordinator.decision.Signal.ProtectFailed;
import dev.coloha.coordinator.decision.Signal.ProxyMoved;
import dev.coloha.coordinator.decision.Signal.ProxyReRegistered;
import dev.coloha.coordinator.decision.Signal.ProxyRestored;
import dev.coloha.coordinator.decision.Signal.ProxyUnserved;
import dev.coloha.coordinator.decision.Signal.RestartWaits;
import dev.coloha.coordinator.decision.Signal.SelfCheckpointed;
import dev.coloha.coordinator.decision.Signal.StreamBroken;
import dev.coloha.coordinator.decision.Signal.Suspect;
import dev.coloha.coordinator.decision.Signal.Tick;
import dev.coloha.coordinator.decision.Waits.LonePrimary;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Policy;
import dev.coloha.coordinator.model.TestGroups;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One row per line of the transition table in docs/coordinator.md ("Decisions"): a situation, a
 * signal, the actions decided and the next situation. Pure: no process, no clock, no I/O.
 */
class DecisionTableTest {
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

  static Stream<Named<Row>> rows() {
    Situation prot = Situation.of(PROTECTED);
    Policy policy = PROTECTED.policy();
    Policy slower =
        new Policy(
            policy.minInterval(),
            Duration.ofSeconds(9),
            policy.compareTimeout(),
            policy.heartbeatInterval(),
            policy.missedBeats());
    CheckpointFailed agent = failed(Cause.PRIMARY_AGENT, "unreachable");
    CheckpointFailed disk = failed(Cause.PRIMARY_DISK, "disk-unavailable");
    CheckpointFailed unknown = failed(Cause.UNKNOWN, "vm-state");
    Follow settleAgent = new Follow(new CheckpointFailureReview(Stage.SETTLE, agent));
    return Stream.of(
        // the proxy's requests for a checkpoint
        row(
            "mismatch: counted, a checkpoint wanted",
            prot,
            new Mismatch("content"),
            List.of(),
            s ->
                s.withGroup(PROTECTED.withCounters(PROTECTED.counters().mismatch()))
                    .withWanted("content")),
        row(
            "mismatch while one is wanted: coalesced",
            prot.withWanted("pressure"),
            new Mismatch("content"),
            List.of(),
            s -> s.withGroup(PROTECTED.withCounters(PROTECTED.counters().mismatch()))),
        row(
            "pressure: a checkpoint wanted, no mismatch counted",
            prot,
            new Pressure("pressure"),
            List.of(),
            s -> s.withWanted("pressure")),
        row(
            "self-checkpoint of this epoch answers the wanted one",
            prot.withWanted("content"),
            new SelfCheckpointed(5, 50),
            List.of(),
            s -> s.withWanted(null)),
        row(
            "self-checkpoint of an older epoch changes nothing",
            prot.withWanted("content"),
            new SelfCheckpointed(4, 50)),
        row(
            "policy changed: persisted, a checkpoint carries it to the proxy",
            prot,
            new PolicyChanged(slower),
            List.of(new Persist("policy", slower.toString())),
            s -> s.withGroup(PROTECTED.withPolicy(slower)).withWanted("policy")),
        // the proxy serves the group or not
        row(
            "proxy unserved: UNSERVED, persisted once, restore at once",
            prot,
            new ProxyUnserved("404", T, T),
            List.of(new Persist("proxy-lost-group", "404"), new ResetRestoreBackoff()),
            s -> s.withGroup(PROTECTED.with(GroupState.UNSERVED, "404")).withNextRestore(T)),
        row(
            "proxy unserved, seen before it was served again: stale",
            prot.withServedSince(T.plusSeconds(1)),
            new ProxyUnserved("404", T, T)),
        row(
            "proxy unserved while failing over: the failover tells it",
            in(GroupState.FAILING_OVER),
            new ProxyUnserved("404", T, T)),
        row(
            "proxy re-registered while UNSERVED: restore now",
            in(GroupState.UNSERVED),
            new ProxyReRegistered(PROTECTED.proxyUrl(), T),
            List.of(),
            s -> s.withNextRestore(T)),
        row(
            "another proxy beat: nothing",
            in(GroupState.UNSERVED),
            new ProxyReRegistered("http://x", T)),
        row(
            "proxy moved (its standby took over) while served: UNSERVED at the new address,"
                + " restore at once",
            prot,
            new ProxyMoved(PROTECTED.proxyUrl(), "http://standby", T),
            List.of(new Persist("proxy-moved", MOVED), new ResetRestoreBackoff()),
            s ->
                s.withGroup(PROTECTED.withProxy("http://standby").with(GroupState.UNSERVED, MOVED))
                    .withNextRestore(T)),
        row(
            "proxy moved while UNSERVED: the new address, restore now",
            in(GroupState.UNSERVED),
            new ProxyMoved(PROTECTED.proxyUrl(), "http://standby", T),
            List.of(new Persist("proxy-moved", MOVED), new ResetRestoreBackoff()),
            s -> s.withGroup(s.group().withProxy("http://standby")).withNextRestore(T)),
        row(
            "proxy moved while failing over: the new address only",
            in(GroupState.FAILING_OVER),
            new ProxyMoved(PROTECTED.proxyUrl(), "http://standby", T),
            List.of(new Persist("proxy-moved", MOVED)),
            s -> s.withGroup(s.group().withProxy("http://standby"))),
        row(
            "another group's proxy moved: nothing",
            prot,
            new ProxyMoved("http://x", "http://standby", T)),
        row(
            "proxy restored: failures forgotten",
            prot.withFailedInARow(2),
            new ProxyRestored(),
            List.of(),
            s -> s.withFailedInARow(0)),
        // a replica lost
        row(
            "stream to the primary broken: fail over",
            prot,
            new StreamBroken(P_URL, "kv", "eof"),
            new FailOver("the proxy lost the primary: eof", false)),
        row(
            "stream to the secondary broken: drop it",
            prot,
            new StreamBroken(S_URL, "kv", "eof"),
            new DropSecondary("the proxy lost the secondary: eof", false)),
        row("stream of an unknown VM broken: nothing", prot, new StreamBroken(S_URL, "old", "eof")),
        row(
            "primary lost while UNSERVED with a secondary: fail over",
            in(GroupState.UNSERVED),
            new StreamBroken(P_URL, "kv", "eof"),
            new FailOver("the proxy lost the primary: eof", false)),
        row(
            "lone primary lost: both lost",
            alone(GroupState.DEGRADED),
            new StreamBroken(P_URL, "kv", "eof"),
            new BothLost("the proxy lost the primary: eof")),
        row(
            "secondary lost while it is being promoted: both lost",
            in(GroupState.FAILING_OVER),
            new StreamBroken(S_URL, "kv", "eof"),
            new BothLost("the proxy lost the secondary: eof; the primary was lost already: why")),
        row(
            "primary lost while FAILED: nothing",
            alone(GroupState.FAILED),
            new StreamBroken(P_URL, "kv", "eof")),
        row(
            "anything lost while RESTARTING: nothing",
            in(GroupState.RESTARTING),
            new StreamBroken(P_URL, "kv", "eof")),
        row(
            "host silent: probe",
            prot,
            new HostSilent(Role.PRIMARY, "no heartbeat"),
            new Probe(Role.PRIMARY, "no heartbeat")),
        row(
            "host of no secondary silent: nothing",
            alone(GroupState.DEGRADED),
            new HostSilent(Role.SECONDARY, "x")),
        row(
            "host silent while RESTARTING: nothing",
            in(GroupState.RESTARTING),
            new HostSilent(Role.PRIMARY, "x")),
        row(
            "primary's host lost: fail over",
            prot,
            new HostLost("h1", "declared"),
            new FailOver("primary on h1 lost: declared", false)),
        row(
            "secondary's host lost: drop it",
            prot,
            new HostLost("h2", "declared"),
            new DropSecondary("secondary on h2 lost: declared", false)),
        row("another host lost: nothing", prot, new HostLost("h9", "declared")),
        row(
            "probe failed on the secondary: drop it",
            prot,
            new ProbeFailed(Role.SECONDARY, "gone"),
            new DropSecondary("gone", false)),
        row(
            "promotion failed, the secondary gone too: both lost",
            in(GroupState.FAILING_OVER),
            new PromotionFailed("both"),
            new BothLost("both")),
        // checkpoints
        row(
            "checkpoint acknowledged in this epoch: commit",
            prot,
            new CheckpointAcked(5, 42),
            new Commit(5, 42)),
        row(
            "checkpoint acknowledged in an older epoch: no commit",
            prot,
            new CheckpointAcked(4, 42)),
        row(
            "checkpoint acknowledged after the group left PROTECTED: no commit",
            in(GroupState.DEGRADED),
            new CheckpointAcked(5, 42)),
        row(
            "checkpoint committed: failures forgotten",
            prot.withFailedInARow(2),
            new CheckpointCommitted(5, 42),
            List.of(),
            s -> s.withFailedInARow(0)),
        row(
            "commit failed at the proxy: UNSERVED, nothing counted",
            prot,
            failed(Cause.PROXY_WITHOUT_GROUP, "group-not-found"),
            List.of(
                new CountCheckpointFailure("proxy"),
                new Persist("proxy-lost-group", "checkpoint commit failed: m"),
                new ResetRestoreBackoff()),
            s ->
                s.withGroup(PROTECTED.with(GroupState.UNSERVED, "checkpoint commit failed: m"))
                    .withNextRestore(T)),
        row(
            "checkpoint failed at a replica: counted, the primary probed",
            prot,
            agent,
            List.of(
                new CountCheckpointFailure("unreachable"),
                new Publish("checkpoint-failed", "m"),
                new Follow(new HostSilent(Role.PRIMARY, "checkpoint failed: m")),
                new Follow(new CheckpointFailureReview(Stage.PROBE_SECONDARY, agent))),
            s ->
                s.withFailedInARow(1)
                    .withGroup(PROTECTED.withCounters(PROTECTED.counters().checkpointFailure()))),
        row(
            "review, still PROTECTED: the secondary probed",
            prot,
            new CheckpointFailureReview(Stage.PROBE_SECONDARY, agent),
            new Follow(new HostSilent(Role.SECONDARY, "checkpoint failed: m")),
            new Follow(new CheckpointFailureReview(Stage.VERDICT, agent))),
        row(
            "review, no longer PROTECTED: to the verdict",
            in(GroupState.DEGRADED),
            new CheckpointFailureReview(Stage.PROBE_SECONDARY, agent),
            new Follow(new CheckpointFailureReview(Stage.VERDICT, agent))),
        row(
            "verdict, no longer PROTECTED: settle",
            in(GroupState.DEGRADED),
            new CheckpointFailureReview(Stage.VERDICT, agent),
            settleAgent),
        row(
            "verdict on the primary's disk: probe the mirrors",
            prot,
            new CheckpointFailureReview(Stage.VERDICT, disk),
            new ProbeMirrors("m"),
            new Follow(new CheckpointFailureReview(Stage.SETTLE, disk))),
        row(
            "verdict resync-required: drop the secondary, re-protect at once",
            prot,
            new CheckpointFailureReview(Stage.VERDICT, failed(Cause.SECONDARY, "resync-required")),
            new DropSecondary("it lost the checkpoint chain (m)", true),
            new Follow(
                new CheckpointFailureReview(
                    Stage.SETTLE, failed(Cause.SECONDARY, "resync-required")))),
        row(
            "verdict, the primary cannot reach its secondary: probe the mirrors first",
            prot,
            new CheckpointFailureReview(Stage.VERDICT, failed(Cause.SECONDARY, "timeout")),
            new ProbeMirrors("m", Suspect.SECONDARY_LINK),
            new Follow(
                new CheckpointFailureReview(Stage.SETTLE, failed(Cause.SECONDARY, "timeout")))),
        row(
            "verdict, both answer, below max-checkpoint-failures: keep",
            prot.withFailedInARow(2),
            new CheckpointFailureReview(Stage.VERDICT, unknown),
            new Follow(new CheckpointFailureReview(Stage.SETTLE, unknown))),
        row(
            "verdict, both answer, max-checkpoint-failures reached: drop the secondary",
            prot.withFailedInARow(3),
            new CheckpointFailureReview(Stage.VERDICT, unknown),
            new DropSecondary("3 checkpoints in a row failed with both replicas up: m", false),
            new Follow(new CheckpointFailureReview(Stage.SETTLE, unknown))),
        row(
            "settle, no longer PROTECTED: failures forgotten",
            in(GroupState.DEGRADED).withFailedInARow(2),
            new CheckpointFailureReview(Stage.SETTLE, agent),
            List.of(),
            s -> s.withFailedInARow(0)),
        row(
            "settle, still PROTECTED: failures kept",
            prot.withFailedInARow(2),
            new CheckpointFailureReview(Stage.SETTLE, agent)),
        row(
            "the primary's mirror does not answer: fail over",
            prot,
            new MirrorsProbed(true, false, "m"),
            new FailOver("the primary's disk mirror does not answer: m", false)),
        row(
            "the secondary's mirror does not answer: drop it",
            prot,
            new MirrorsProbed(false, true, "m"),
            new DropSecondary("the secondary's disk mirror does not answer: m", false)),
        row(
            "the primary cannot reach its secondary, its own mirror is dead: fail over",
            prot,
            new MirrorsProbed(true, false, "m", Suspect.SECONDARY_LINK),
            new FailOver("the primary's disk mirror does not answer: m", false)),
        row(
            "the primary cannot reach its secondary, whose mirror is dead: drop it",
            prot,
            new MirrorsProbed(false, true, "m", Suspect.SECONDARY_LINK),
            new DropSecondary("the secondary's disk mirror does not answer: m", false)),
        row(
            "the primary cannot reach its secondary, both mirrors answer: drop the secondary",
            prot,
            new MirrorsProbed(false, false, "m", Suspect.SECONDARY_LINK),
            new DropSecondary("the primary cannot replicate to it (m)", false)),
        row(
            "the primary cannot reach its secondary, no longer PROTECTED: keep",
            in(GroupState.DEGRADED),
            new MirrorsProbed(false, false, "m", Suspect.SECONDARY_LINK)),
        row(
            "both mirrors answer, below max: keep",
            prot.withFailedInARow(2),
            new MirrorsProbed(false, false, "m")),
        row(
            "both mirrors answer, the primary's disk keeps failing: fail over",
            prot.withFailedInARow(3),
            new MirrorsProbed(false, false, "m"),
            new FailOver("3 checkpoints in a row failed on the primary's disk", false)),
        // time passes
        row(
            "tick, a checkpoint wanted, rate allows: checkpoint",
            prot.withWanted("content"),
            new Tick(T),
            List.of(new Action.Checkpoint("content"), CLEAN),
            s -> s.withWanted(null).withLastAttempt(T)),
        row(
            "tick, a checkpoint wanted within min-interval: wait",
            prot.withWanted("content").withLastAttempt(T),
            new Tick(T.plusMillis(5)),
            CLEAN),
        row(
            "tick, max-interval passed: checkpoint",
            prot,
            new Tick(T),
            List.of(new Action.Checkpoint("interval"), CLEAN),
            s -> s.withLastAttempt(T)),
        row(
            "tick, nothing due: clean up only",
            Situation.of(PROTECTED.withCheckpoint(41, T)).withLastAttempt(T),
            new Tick(T.plusSeconds(1)),
            CLEAN),
        row(
            "tick, CREATING and due: protect",
            in(GroupState.CREATING),
            new Tick(T),
            new Protect(),
            CLEAN),
        row(
            "tick, SYNCING, not yet due: wait",
            in(GroupState.SYNCING).withNextReprotect(T.plusSeconds(1)),
            new Tick(T),
            CLEAN),
        row(
            "tick, UNSERVED and due: restore the proxy",
            in(GroupState.UNSERVED),
            new Tick(T),
            new RestoreProxy(),
            CLEAN),
        row(
            "tick, RESTARTING and due: restart from the volume, waited out since now",
            in(GroupState.RESTARTING),
            new Tick(T),
            List.of(new RestartFromVolume(), CLEAN),
            s -> s.withWaits(Waits.NONE.withRestartingSince(T))),
        row(
            "tick, RESTARTING and due: the patience counts from when RESTARTING began",
            Situation.of(PROTECTED.with(GroupState.RESTARTING, "why").withSince(T0)),
            new Tick(T),
            List.of(new RestartFromVolume(), CLEAN),
            s -> s.withWaits(Waits.NONE.withRestartingSince(T0))),
        row(
            "tick, RESTARTING and due again: the wait's start is kept",
            in(GroupState.RESTARTING).withWaits(Waits.NONE.withRestartingSince(T0)),
            new Tick(T),
            new RestartFromVolume(),
            CLEAN),
        row(
            "tick, FAILING_OVER and due: resume the failover",
            in(GroupState.FAILING_OVER),
            new Tick(T),
            new FailOver("why", true),
            CLEAN),
        row(
            "tick, DEGRADED and due: re-protect",
            alone(GroupState.DEGRADED),
            new Tick(T),
            new Reprotect(),
            CLEAN),
        row("tick, FAILED: clean up only", alone(GroupState.FAILED), new Tick(T), CLEAN),
        // a lone primary's silence (lone-primary-patience: 300 s)
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
            s -> s.withWaits(Waits.NONE)),
        // a RESTARTING group's patience (lone-primary-patience: 300 s)
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
            new RestartWaits(T.plusSeconds(301))),
        // a new group's creation (create-attempts: 10, create-timeout: 120 s)
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
  void row(Row row) {
    Decision d = GroupDecisions.decide(row.before(), row.signal(), LIMITS);
    assertThat(d.actions()).containsExactlyElementsOf(row.actions());
    assertThat(d.next()).isEqualTo(row.next().apply(row.before()));
  }
}
