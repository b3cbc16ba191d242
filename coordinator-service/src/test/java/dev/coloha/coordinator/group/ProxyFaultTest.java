package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.GroupState;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Row 6 of the fault matrix: the proxy dies or restarts without its groups, or its standby takes
 * over; the group is given back in the same epoch and never PROTECTED meanwhile. The services are
 * fakes on loopback ({@link FaultMatrixCase}).
 */
class ProxyFaultTest extends FaultMatrixCase {
  @Test
  void row6AProxyWithoutTheGroupIsGivenItBackInTheSameEpochAndTheGroupIsNeverProtectedMeanwhile() {
    rig.proxy.epoch = -1; // restarted: it knows no group
    rig.proxy.failAlways("/commits", 404, "group-not-found");

    rig.mismatch();

    assertGroup(GroupState.UNSERVED, FaultRig.EPOCH, "h1", "h2");
    assertThat(rig.group().counters().checkpointFailures()).as("not a replica's failure").isZero();

    rig.proxy.heal();
    rig.proxy.failOnce("PUT /v1/groups/kv", 503, "http-503"); // not ready on the first try
    rig.step(Duration.ofMillis(50));
    assertGroup(GroupState.UNSERVED, FaultRig.EPOCH, "h1", "h2");
    rig.step(Duration.ZERO); // the retry backs off: not at once
    assertThat(rig.proxy.count("PUT /v1/groups/kv")).isEqualTo(1);

    rig.step(Duration.ofSeconds(1));

    assertGroup(GroupState.PROTECTED, FaultRig.EPOCH, "h1", "h2");
    assertThat(rig.epochsSaved()).as("nothing needs fencing").containsExactly(FaultRig.EPOCH);
    assertThat(rig.proxy.epoch).isEqualTo(FaultRig.EPOCH);
    int unserved = rig.first("store UNSERVED");
    int served = rig.journal.lastIndexOf("proxy PUT /v1/groups/kv");
    assertThat(rig.journal.subList(unserved, served))
        .as("never PROTECTED while the proxy does not serve the group")
        .noneMatch(l -> l.startsWith("store PROTECTED"));
    assertThat(rig.journal.subList(served, rig.journal.size()))
        .anyMatch(l -> l.startsWith("store PROTECTED"));
  }

  @Test
  void row6AStandbyProxyThatTookOverGetsTheGroupInTheSameEpochAtOnce() throws Exception {
    try (FakeService standby =
        new FakeService("standby", FakeService.Kind.PROXY, rig.journal::add)) {
      standby.epoch = -1; // it never served: it knows no group
      String active = rig.proxy.url();
      rig.proxy.kill(); // kill -9 of the active proxy; the standby takes its lock and beats

      // the coordinator sees the proxy's host beat from another address: the group moves to it
      assertThat(rig.hosts.proxyMovedFrom("proxy", standby.url())).contains(active);
      rig.hosts.heartbeat("proxy", "proxy", standby.url());
      assertThat(rig.hosts.proxyMovedFrom("proxy", standby.url())).isEmpty();
      rig.worker.send(new GroupWorker.ProxyMoved(active, standby.url()));
      rig.step(Duration.ZERO); // no heartbeat timeout, no backoff: restored in this turn

      assertGroup(GroupState.PROTECTED, FaultRig.EPOCH, "h1", "h2");
      assertThat(rig.group().proxyUrl()).isEqualTo(standby.url());
      assertThat(standby.epoch).as("the standby serves the group").isEqualTo(FaultRig.EPOCH);
      assertThat(rig.epochsSaved()).as("nothing needs fencing").containsExactly(FaultRig.EPOCH);
      assertThat(rig.store.saves)
          .as("UNSERVED at the new address before it serves")
          .anyMatch(g -> g.state() == GroupState.UNSERVED && g.proxyUrl().equals(standby.url()));
      int moved = rig.first("store UNSERVED");
      int served = rig.journal.lastIndexOf("standby PUT /v1/groups/kv");
      assertThat(served).isPositive();
      assertThat(rig.journal.subList(Math.max(moved, 0), served))
          .as("never PROTECTED while the standby does not serve the group")
          .noneMatch(l -> l.startsWith("store PROTECTED"));
      assertThat(rig.journal).noneMatch(l -> l.startsWith("proxy PUT"));
    }
  }
}
