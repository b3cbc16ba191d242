package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.GroupState;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Row 3 of the fault matrix: the secondary's agent dies; dropped in one epoch, then re-protected (a
 * failed re-protection is retried after a backoff in the same epoch). The services are fakes on
 * loopback ({@link FaultMatrixCase}).
 */
class SecondaryAgentFaultTest extends FaultMatrixCase {
  @Test
  void row3TheSecondarysAgentLostByTheProxyIsDroppedInOneEpoch() {
    agent("h2").kill();
    rig.worker.proxyEvent(ProxyEvents.streamBroken(agent("h2").url(), "kv", "EOF"));
    rig.step(Duration.ofMillis(50));

    assertSecondaryLost();
  }

  @Test
  void row3ASecondaryLostWhileACheckpointWaitsForThePrimaryIsDroppedWithoutWaitingForItsAnswer() {
    // the secondary dies during a checkpoint (its missing output made the proxy ask for one): the
    // primary answers only after its reconnects and the calls' retries failed. The proxy's
    // broken stream decides meanwhile: the secondary is dropped, the checkpoint given up, nothing
    // counted against the replicas
    agent("h2").kill();
    agent("h1")
        .holdOnce(
            "/checkpoint",
            () -> rig.worker.proxyEvent(ProxyEvents.streamBroken(agent("h2").url(), "kv", "EOF")))
        .failOnce("/checkpoint", 503, "unavailable");

    rig.mismatch();

    assertSecondaryLost();
    assertThat(rig.group().reason()).contains("the proxy lost the secondary");
    assertThat(rig.group().counters().checkpointFailures()).isZero();
    assertThat(rig.store.events.stream().filter(e -> e.kind().equals("checkpoint-failed")))
        .isEmpty();
    agent("h1").release();
    rig.step(Duration.ofMillis(50)); // the stream-broken command itself: decided already
    assertSecondaryLost();
  }

  @Test
  void aFailedReprotectionIsRetriedAfterABackoffInTheSameEpoch() {
    agent("h2").kill();
    rig.worker.proxyEvent(ProxyEvents.streamBroken(agent("h2").url(), "kv", "EOF"));
    rig.step(Duration.ofMillis(50));
    assertSecondaryLost();

    agent("h1").replicationState = "DEGRADED"; // the first pairing fails
    rig.step(Duration.ofSeconds(2)); // after reprotect-delay; h2 is silent, h3 is the candidate

    assertGroup(GroupState.DEGRADED, FaultRig.EPOCH + 2, "h1", null);
    assertThat(agent("h3").count("POST /v1/vms/kv/secondary")).isEqualTo(1);
    rig.step(Duration.ZERO);
    assertThat(agent("h3").count("POST /v1/vms/kv/secondary"))
        .as("the retry waits its backoff")
        .isEqualTo(1);

    agent("h1").replicationState = "PROTECTED";
    rig.step(Duration.ofSeconds(10));

    assertGroup(GroupState.PROTECTED, FaultRig.EPOCH + 2, "h1", "h3");
    assertThat(agent("h3").count("POST /v1/vms/kv/secondary")).isEqualTo(2);
    // each attempt starts from a fresh VM on a fresh volume: the retry's VM is not the first
    // attempt's, whose disk was the volume the retry deleted
    List<String> h3 = rig.journal.stream().filter(l -> l.startsWith("h3/")).toList();
    assertThat(h3)
        .as("h3's calls")
        .containsSubsequence(
            "h3/agent DELETE /v1/vms/kv",
            "h3/mirror DELETE /v1/volumes/kv",
            "h3/mirror POST /v1/volumes",
            "h3/agent POST /v1/vms",
            "h3/agent DELETE /v1/vms/kv",
            "h3/mirror DELETE /v1/volumes/kv",
            "h3/mirror POST /v1/volumes",
            "h3/agent POST /v1/vms");
    assertThat(rig.epochsSaved())
        .as("one epoch for the lost secondary, one for the re-protection and its retry")
        .containsExactly(FaultRig.EPOCH, FaultRig.EPOCH + 1, FaultRig.EPOCH + 2);
    assertThat(rig.proxy.epoch).isEqualTo(FaultRig.EPOCH + 2);
    assertThat(rig.group().counters().reprotections()).isEqualTo(1);
  }
}
