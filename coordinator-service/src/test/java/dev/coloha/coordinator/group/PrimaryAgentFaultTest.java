package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.GroupState;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Row 1 of the fault matrix: the primary's agent dies (lost by the proxy, during a checkpoint, or
 * silent and failing its probe); failed over to the secondary in one epoch. The services are fakes
 * on loopback ({@link FaultMatrixCase}).
 */
class PrimaryAgentFaultTest extends FaultMatrixCase {
  @Test
  void row1ThePrimarysAgentLostByTheProxyIsFailedOverInOneEpoch() {
    agent("h1").kill();
    rig.worker.proxyEvent(ProxyEvents.streamBroken(agent("h1").url(), "kv", "stream reset"));
    rig.step(Duration.ofMillis(50));

    assertFailedOverToH2();
    rig.step(Duration.ofMillis(50));
    assertThat(rig.epochsSaved()).as("no second epoch").hasSize(2);
  }

  @Test
  void row1APrimaryLostWhileACheckpointWaitsForItsAnswerIsFailedOverWithoutWaitingForIt() {
    // the proxy's stream to the primary breaks while the coordinator waits for the primary's
    // checkpoint (its agent hangs, its host still beats): the broken stream decides at once, the
    // checkpoint is given up (the answer that comes later is not committed)
    agent("h1")
        .holdOnce(
            "/checkpoint",
            () ->
                rig.worker.proxyEvent(
                    ProxyEvents.streamBroken(agent("h1").url(), "kv", "guest crashed")));

    rig.mismatch();

    assertFailedOverToH2();
    assertThat(rig.group().reason()).contains("the proxy lost the primary");
    assertThat(rig.proxy.count("/commits")).isZero();
    agent("h1").release();
    rig.step(Duration.ofMillis(50));
    assertThat(rig.epochsSaved()).as("no second epoch").hasSize(2);
    assertThat(rig.proxy.count("/commits")).isZero();
  }

  @Test
  void row1ThePrimarysAgentThatStopsBeatingAndFailsItsProbeIsFailedOver() {
    agent("h1").kill();
    rig.step(Duration.ofMillis(500)); // silent, but not for suspect-after (1 s) yet
    assertGroup(GroupState.PROTECTED, FaultRig.EPOCH, "h1", "h2");

    rig.step(Duration.ofMillis(800));

    assertFailedOverToH2();
  }
}
