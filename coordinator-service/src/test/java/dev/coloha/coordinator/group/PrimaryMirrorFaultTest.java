package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.GroupState;
import org.junit.jupiter.api.Test;

/**
 * Row 2 of the fault matrix: the primary's disk mirror dies or its disk keeps failing; failed over
 * to the secondary, nothing of the failing disk released. The services are fakes on loopback
 * ({@link FaultMatrixCase}).
 */
class PrimaryMirrorFaultTest extends FaultMatrixCase {
  @Test
  void row2ThePrimarysMirrorDyingFailsOverToTheSecondaryAndReleasesNothingOfTheFailingDisk() {
    mirror("h1").kill();
    agent("h1").failAlways("/checkpoint", 503, "disk-unavailable");

    rig.mismatch(); // the proxy holds differing output and asks for a checkpoint

    assertFailedOverToH2();
    // the failing primary's checkpoint was never committed: the proxy released none of the
    // output the failing disk made, it switched to the secondary instead
    assertThat(rig.proxy.count("/commits")).isZero();
    assertThat(rig.group().counters().checkpointFailures()).isEqualTo(1);
  }

  @Test
  void row2APrimaryMirrorDyingAfterTheBarrierFailsOverThoughThePrimaryBlamesItsSecondary() {
    // the barrier reached the primary's mirror, which died before passing the writes on: the
    // secondary cannot apply the checkpoint and the primary answers timeout, as for a cut link
    mirror("h1").kill();
    agent("h1").failAlways("/checkpoint", 504, "timeout");

    rig.mismatch();

    assertFailedOverToH2();
    assertThat(rig.proxy.count("/commits")).isZero();
  }

  @Test
  void row2APrimaryWhoseDiskKeepsFailingWhileBothMirrorsAnswerIsTheLostOne() {
    agent("h1").failAlways("/checkpoint", 503, "disk-unavailable");

    rig.mismatch();
    rig.mismatch();
    assertGroup(GroupState.PROTECTED, FaultRig.EPOCH, "h1", "h2");
    rig.mismatch(); // max-checkpoint-failures (3)

    assertFailedOverToH2();
  }
}
