package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Both replicas lost (both hosts' agents and mirrors killed and started again): restarted from the
 * primary's volume in one new epoch, or the group ends when no volume is left. The services are
 * fakes on loopback ({@link FaultMatrixCase}).
 */
class BothReplicasLostFaultTest extends FaultMatrixCase {
  @Test
  void rowBothReplicasLostWithTheVolumeLeftAreRestartedFromThePrimarysVolumeInOneNewEpoch() {
    // both hosts' agents die (no answer, no heartbeat); started again, they have no VM
    agent("h1").pause();
    agent("h2").pause();
    agent("h1").hasVm = false;
    agent("h2").hasVm = false;
    rig.worker.proxyEvent(ProxyEvents.streamBroken(agent("h1").url(), "kv", "stream reset"));
    rig.step(Duration.ofMillis(50));

    // the promotion of the secondary failed, it is gone too: one new epoch, the restart waits for
    // the last primary's host
    assertGroup(GroupState.RESTARTING, FaultRig.EPOCH + 1, "h1", null);
    assertThat(rig.group().since())
        .as("when RESTARTING began, persisted: a restarted coordinator's patience counts from it")
        .isEqualTo(rig.clock.now);
    assertThat(rig.group().diskEpoch()).isEqualTo(FaultRig.EPOCH + 1);
    assertThat(events("both-lost")).isEqualTo(1);
    assertThat(events("primary-unreachable")).as("not watched as a lone primary").isZero();
    for (int i = 0; i < 5; i++) {
      rig.step(Duration.ofSeconds(1));
    }
    assertGroup(GroupState.RESTARTING, FaultRig.EPOCH + 1, "h1", null);
    assertThat(agent("h1").createBodies).isEmpty();

    agent("h1").resume();
    agent("h2").resume();
    for (int i = 0; i < 40 && rig.group().state() != GroupState.PROTECTED; i++) {
      rig.step(Duration.ofSeconds(1));
    }

    // restarted: a new VM on h1 booting from h1's volume in the new epoch, the proxy given the
    // group anew in that epoch, then re-protected with a new secondary (a resync of the disk)
    int restarting = rig.first("store RESTARTING epoch " + (FaultRig.EPOCH + 1));
    int created = firstAfter(restarting, "h1/agent POST /v1/vms");
    int proxyDropped = firstAfter(created, "proxy DELETE /v1/groups/kv");
    int proxyGiven = firstAfter(proxyDropped, "proxy PUT /v1/groups/kv");
    int restarted = firstAfter(proxyGiven, "store DEGRADED epoch " + (FaultRig.EPOCH + 1));
    assertThat(restarting).as("persisted before anyone acts on it").isNotNegative();
    assertThat(List.of(created, proxyDropped, proxyGiven, restarted))
        .as("%s", rig.journal)
        .doesNotContain(-1);
    Map<String, Object> vm = agent("h1").createBodies.getFirst();
    assertThat(vm.get("start")).isEqualTo(true);
    assertThat(vm.get("mirror"))
        .isEqualTo(
            Map.of("url", mirror("h1").url(), "volume", "kv", "epoch", (int) FaultRig.EPOCH + 1));
    assertThat(events("restarted")).isEqualTo(1);
    assertThat(rig.store.saves.stream().filter(g -> g.epoch() == FaultRig.EPOCH + 1))
        .extracting(Group::state)
        .as("one transition in the new epoch: no second restart, no second failover")
        .containsSubsequence(GroupState.FAILING_OVER, GroupState.RESTARTING, GroupState.DEGRADED)
        .doesNotContain(GroupState.FAILED, GroupState.PROTECTED);
    // the secondary's volume (the last committed checkpoint only) is not the one restarted from
    rig.mirrors.values().forEach(m -> assertThat(m.count("/failover")).isZero());
    assertGroup(GroupState.PROTECTED, FaultRig.EPOCH + 2, "h1", host(rig.group().secondary()));
    assertThat(rig.group().secondary()).isNotNull();
    assertThat(rig.epochsSaved())
        .as("one epoch for the restart, one for the re-protection")
        .containsExactly(FaultRig.EPOCH, FaultRig.EPOCH + 1, FaultRig.EPOCH + 2);
    assertThat(mirror("h1").count("POST /v1/volumes/kv/resync")).isEqualTo(1);
  }

  @Test
  void aLonePrimaryWhoseAgentIsBackWithoutItsVmIsLostNotBack() throws Exception {
    lonePrimaryOnH1();
    agent("h1").pause(); // kill -9 of its agent ...
    rig.step(Duration.ofMillis(1300));
    assertThat(events("primary-unreachable")).isEqualTo(1);

    agent("h1").hasVm = false; // ... which is started again: it answers, without the VM
    agent("h1").resume();
    rig.step(Duration.ofMillis(100));

    assertThat(events("primary-reachable")).as("not taken as back").isZero();
    assertThat(events("both-lost")).isEqualTo(1);
    assertGroup(GroupState.DEGRADED, FaultRig.EPOCH + 1, "h1", null);
    assertThat(rig.group().reason()).contains("restarted from its volume");
    assertThat(rig.first("h1/agent POST /v1/vms"))
        .isGreaterThan(rig.first("store RESTARTING epoch " + (FaultRig.EPOCH + 1)));
    assertThat(rig.epochsSaved()).containsExactly(FaultRig.EPOCH, FaultRig.EPOCH + 1);
  }

  @Test
  void bothReplicasLostWithNoVolumeLeftEndTheGroup() throws Exception {
    lonePrimaryOnH1();
    mirror("h1").failAlways("GET /v1/volumes/kv", 404, "volume-not-found");
    agent("h1").pause();
    rig.step(Duration.ofMillis(1300));
    agent("h1").hasVm = false;
    agent("h1").resume();
    rig.step(Duration.ofMillis(100));

    assertThat(rig.group().state()).isEqualTo(GroupState.FAILED);
    assertThat(rig.group().reason()).contains("no volume of the group survives");
    assertThat(rig.store.saves.getLast().state()).isEqualTo(GroupState.FAILED);
    assertThat(agent("h1").createBodies).isEmpty();
  }
}
