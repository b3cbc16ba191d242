package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Row 4 of the fault matrix: the secondary's disk mirror dies; the secondary is lost, never the
 * primary. The services are fakes on loopback ({@link FaultMatrixCase}).
 */
class SecondaryMirrorFaultTest extends FaultMatrixCase {
  @Test
  void row4TheSecondarysMirrorDyingLosesTheSecondaryNeverThePrimary() {
    mirror("h2").kill();
    // the secondary cannot commit the checkpoint's barrier: the primary answers unavailable
    agent("h1").failAlways("/checkpoint", 503, "unavailable");

    rig.mismatch();

    assertSecondaryLost();
    assertThat(rig.group().counters().failovers()).isZero();
  }

  @Test
  void row4ABarrierThatFailsOnTheWayToADeadSecondaryMirrorLosesTheSecondary() {
    // the primary's disk reports the failure (its barrier did not reach the secondary's mirror),
    // its own mirror answers, the secondary's does not: the secondary is the lost one
    mirror("h2").kill();
    agent("h1").failAlways("/checkpoint", 503, "disk-unavailable");

    rig.mismatch();

    assertSecondaryLost();
  }

  @Test
  void row4TheSecondarysMirrorThatStopsBeatingAndFailsItsProbeLosesTheSecondary() {
    mirror("h2").kill();

    rig.step(Duration.ofMillis(1300));

    assertSecondaryLost();
  }
}
