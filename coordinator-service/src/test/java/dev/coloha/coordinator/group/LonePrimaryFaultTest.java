package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Replica;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A primary without a secondary goes silent: waited for up to lone-primary-patience, not when its
 * stream at the proxy breaks. The services are fakes on loopback ({@link FaultMatrixCase}).
 */
class LonePrimaryFaultTest extends FaultMatrixCase {
  @Test
  void aLonePrimaryThatGoesSilentIsWaitedForAndGoesOnWhenItAnswersAgain() throws Exception {
    lonePrimaryOnH1();
    agent("h1").pause(); // kill -STOP: no heartbeat, no answer to a probe

    rig.step(Duration.ofMillis(1300)); // silent for longer than suspect-after, probe fails
    assertGroup(GroupState.DEGRADED, FaultRig.EPOCH, "h1", null);
    assertThat(events("primary-unreachable")).as("noticed, persisted once").isEqualTo(1);
    for (int i = 0; i < 20; i++) {
      rig.step(Duration.ofMillis(1300)); // 26 s of silence: far within lone-primary-patience
    }
    assertGroup(GroupState.DEGRADED, FaultRig.EPOCH, "h1", null);
    assertThat(events("primary-unreachable")).isEqualTo(1);
    assertThat(events("failed")).isZero();

    agent("h1").resume();
    rig.step(Duration.ofMillis(100)); // its heartbeat is back
    assertGroup(GroupState.DEGRADED, FaultRig.EPOCH, "h1", null);
    assertThat(events("primary-reachable")).isEqualTo(1);
    assertThat(rig.group().reason()).isEqualTo("running unprotected");
    assertThat(rig.epochsSaved()).as("nothing fenced").containsExactly(FaultRig.EPOCH);
  }

  @Test
  void aLonePrimarySilentForLongerThanThePatienceEndsTheGroup() throws Exception {
    lonePrimaryOnH1();
    agent("h1").pause();

    rig.step(Duration.ofMillis(1300));
    assertGroup(GroupState.DEGRADED, FaultRig.EPOCH, "h1", null);
    rig.step(rig.props.lonePrimaryPatience()); // the next spaced probe fails after the patience

    assertThat(rig.group().state()).isEqualTo(GroupState.FAILED);
    assertThat(rig.group().reason()).contains("lone-primary-patience");
    assertThat(rig.store.saves.getLast().state()).isEqualTo(GroupState.FAILED);
  }

  @Test
  void aLonePrimaryWhoseStreamAtTheProxyBreaksIsNotWaitedFor() throws Exception {
    lonePrimaryOnH1();
    agent("h1").kill();
    rig.worker.proxyEvent(ProxyEvents.streamBroken(agent("h1").url(), "kv", "reset"));
    rig.step(Duration.ofMillis(50));

    // its VM died with its agent: not waited for; its volume is kept, to restart from
    assertGroup(GroupState.RESTARTING, FaultRig.EPOCH + 1, "h1", null);
    assertThat(events("primary-unreachable")).isZero();
  }

  @Test
  void aLonePrimaryWithoutADiskWhoseStreamAtTheProxyBreaksEndsTheGroup() throws Exception {
    rig.close();
    rig =
        new FaultRig(
            g -> {
              Replica p = g.primary();
              return g.withReplicas(new Replica(p.host(), p.agentUrl(), null, p.vm(), null), null)
                  .with(GroupState.DEGRADED, "running unprotected");
            });
    agent("h1").kill();
    rig.worker.proxyEvent(ProxyEvents.streamBroken(agent("h1").url(), "kv", "reset"));
    rig.step(Duration.ofMillis(50));

    assertThat(rig.group().state()).as("no volume: nothing survives").isEqualTo(GroupState.FAILED);
    assertThat(rig.store.saves.getLast().state()).isEqualTo(GroupState.FAILED);
  }
}
