package dev.coloha.coordinator.decision;

import static dev.coloha.coordinator.decision.DecisionRows.PROTECTED;
import static dev.coloha.coordinator.decision.DecisionRows.T;
import static dev.coloha.coordinator.decision.DecisionRows.assertDecided;
import static dev.coloha.coordinator.decision.DecisionRows.failed;
import static dev.coloha.coordinator.decision.DecisionRows.in;
import static dev.coloha.coordinator.decision.DecisionRows.row;

import dev.coloha.coordinator.decision.Action.Commit;
import dev.coloha.coordinator.decision.Action.CountCheckpointFailure;
import dev.coloha.coordinator.decision.Action.DropSecondary;
import dev.coloha.coordinator.decision.Action.FailOver;
import dev.coloha.coordinator.decision.Action.Follow;
import dev.coloha.coordinator.decision.Action.Persist;
import dev.coloha.coordinator.decision.Action.ProbeMirrors;
import dev.coloha.coordinator.decision.Action.Publish;
import dev.coloha.coordinator.decision.Action.ResetRestoreBackoff;
import dev.coloha.coordinator.decision.DecisionRows.Row;
import dev.coloha.coordinator.decision.Signal.CheckpointAcked;
import dev.coloha.coordinator.decision.Signal.CheckpointCommitted;
import dev.coloha.coordinator.decision.Signal.CheckpointFailed;
import dev.coloha.coordinator.decision.Signal.CheckpointFailureReview;
import dev.coloha.coordinator.decision.Signal.CheckpointFailureReview.Stage;
import dev.coloha.coordinator.decision.Signal.HostSilent;
import dev.coloha.coordinator.decision.Signal.MirrorsProbed;
import dev.coloha.coordinator.decision.Signal.Suspect;
import dev.coloha.coordinator.model.GroupState;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decisions on checkpoints (acknowledged, committed, failed by cause, reviewed; the proxy's
 * own): one row per line of the transition table in docs/coordinator.md ("Decisions"), the
 * situation, the signal, the actions decided and the next situation ({@link DecisionRows}). Pure:
 * no process, no clock, no I/O.
 */
class CheckpointDecisionsTest {
  static Stream<Named<Row>> rows() {
    Situation prot = Situation.of(PROTECTED);
    CheckpointFailed agent = failed(Cause.PRIMARY_AGENT, "unreachable");
    CheckpointFailed disk = failed(Cause.PRIMARY_DISK, "disk-unavailable");
    CheckpointFailed unknown = failed(Cause.UNKNOWN, "vm-state");
    Follow settleAgent = new Follow(new CheckpointFailureReview(Stage.SETTLE, agent));
    return Stream.of(
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
            new FailOver("3 checkpoints in a row failed on the primary's disk", false)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void decides(Row row) {
    assertDecided(row);
  }
}
