package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.GroupState;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Row 5 of the fault matrix (the link between the hosts is cut while both answer) and the
 * checkpoints that fail while both replicas answer: the secondary is kept until
 * max-checkpoint-failures, a sequence the replicas disagree on is caught up, the proxy's own
 * checkpoints are followed. The services are fakes on loopback ({@link FaultMatrixCase}).
 */
class CheckpointFaultTest extends FaultMatrixCase {
  @Test
  void row5ALinkCutWhileBothAnswerLosesTheSecondaryNeverMakesTwoPrimaries() {
    agent("h1").failAlways("/checkpoint", 504, "timeout");

    rig.mismatch();

    assertSecondaryLost();
  }

  @Test
  void aCheckpointWhoseSequenceTheReplicasDisagreeOnIsRetriedWithoutLosingTheSecondary() {
    agent("h1").lastCheckpoint = 47; // the agent is ahead of the coordinator's count
    agent("h1").failOnce("/checkpoint", 409, "checkpoint-mismatch");

    rig.mismatch();

    assertGroup(GroupState.PROTECTED, FaultRig.EPOCH, "h1", "h2");
    assertThat(rig.group().lastCheckpoint()).isEqualTo(48);
    assertThat(rig.proxy.count("/commits")).isEqualTo(1);
    assertThat(rig.group().counters().checkpointFailures()).as("%s", rig.journal).isZero();
    assertThat(rig.epochsSaved()).containsExactly(FaultRig.EPOCH);
  }

  @Test
  void aFailedSelfCheckpointOfTheProxyIsACheckpointRequestAndItsNumberIsSkipped() {
    // while no coordinator decided, the proxy checkpointed the primary itself: 48 was committed,
    // 49 failed after the agent marked its disk barrier (the number is taken, not acknowledged)
    agent("h1").lastCheckpoint = 48;
    agent("h1").highestAttempted = 49;
    agent("h1").failOnce("/checkpoint", 409, "checkpoint-mismatch"); // the coordinator's count
    agent("h1").failOnce("/checkpoint", 409, "checkpoint-mismatch"); // 48 + 1 was attempted
    long mismatches = rig.group().counters().mismatches();

    // the proxy's event when the coordinator follows it again: a checkpoint request
    rig.worker.proxyEvent(
        ProxyEvents.selfCheckpointFailed(FaultRig.EPOCH, 49, "checkpoint-timeout"));
    rig.step(Duration.ofMillis(100));

    assertGroup(GroupState.PROTECTED, FaultRig.EPOCH, "h1", "h2");
    assertThat(rig.group().lastCheckpoint()).isEqualTo(50); // the agent's next number
    assertThat(agent("h1").checkpointBodies.getLast()).doesNotContainKey("sequence");
    assertThat(rig.proxy.count("/commits")).isEqualTo(1);
    assertThat(rig.group().counters().checkpointFailures()).as("%s", rig.journal).isZero();
    assertThat(rig.group().counters().mismatches()).as("not a mismatch").isEqualTo(mismatches);
    assertThat(rig.epochsSaved()).containsExactly(FaultRig.EPOCH);

    rig.mismatch(); // and the count goes on from there
    assertThat(rig.group().lastCheckpoint()).isEqualTo(51);
  }

  @Test
  void aSelfCheckpointOfTheProxyAnswersThePendingRequestSoASlowCoordinatorDoesNotTakeASecond() {
    // a mismatch the coordinator was slow to act on (its loop busy): the proxy's grace ran out, it
    // checkpointed the primary itself and committed, and says so after the mismatch
    rig.worker.proxyEvent(ProxyEvents.mismatch());
    rig.worker.proxyEvent(ProxyEvents.selfCheckpoint(FaultRig.EPOCH, 41, true));
    rig.step(Duration.ofMillis(100));

    assertThat(agent("h1").count("/checkpoint")).as("no second checkpoint for it").isZero();
    assertThat(rig.group().counters().mismatches()).as("the mismatch is counted").isEqualTo(1);

    // a self-checkpoint of another epoch, or one the proxy did not apply, answers nothing
    rig.worker.proxyEvent(ProxyEvents.mismatch());
    rig.worker.proxyEvent(ProxyEvents.selfCheckpoint(FaultRig.EPOCH - 1, 42, true));
    rig.worker.proxyEvent(ProxyEvents.selfCheckpoint(FaultRig.EPOCH, 42, false));
    rig.step(Duration.ofMillis(100));
    assertThat(agent("h1").count("/checkpoint")).isEqualTo(1);

    // a request after the proxy's commit is a new one
    rig.worker.proxyEvent(ProxyEvents.selfCheckpoint(FaultRig.EPOCH, 43, true));
    rig.mismatch();
    assertThat(agent("h1").count("/checkpoint")).isEqualTo(2);
    assertGroup(GroupState.PROTECTED, FaultRig.EPOCH, "h1", "h2");
  }

  @Test
  void checkpointsRefusedForAReasonNoRowNamesKeepTheSecondaryUntilMaxFailuresThenLoseIt() {
    agent("h1").failAlways("/checkpoint", 409, "vm-state");

    rig.mismatch();
    rig.mismatch();

    assertGroup(GroupState.PROTECTED, FaultRig.EPOCH, "h1", "h2");
    assertThat(rig.group().counters().checkpointFailures()).isEqualTo(2);
    assertThat(rig.epochsSaved()).containsExactly(FaultRig.EPOCH);

    rig.mismatch(); // the third in a row: max-checkpoint-failures

    assertSecondaryLost();
  }
}
