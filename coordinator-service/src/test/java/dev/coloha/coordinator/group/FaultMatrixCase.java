package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Replica;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the fault matrix's test classes share (docs/coordinator.md, "Fault matrix"; one class a
 * failing component): a fresh {@link FaultRig} per test, whose services are fakes on loopback and
 * whose worker's loop is turned by hand, so nothing waits for time to pass; and the assertions the
 * rows share (the group's state, epoch and replicas as persisted, a failover to h2, a lost
 * secondary).
 */
abstract class FaultMatrixCase {
  FaultRig rig;

  @BeforeEach
  void rig() throws Exception {
    rig = new FaultRig();
  }

  @AfterEach
  void down() {
    rig.close();
  }

  FakeService agent(String host) {
    return rig.agents.get(host);
  }

  FakeService mirror(String host) {
    return rig.mirrors.get(host);
  }

  static String host(Replica r) {
    return r == null ? null : r.host();
  }

  /** The state the group ends in, its epoch, and its replicas' hosts. */
  void assertGroup(GroupState state, long epoch, String primary, String secondary) {
    Group g = rig.group();
    assertThat(g.state())
        .as("state (%s) after %s; %s", g.reason(), rig.journal, rig.store.events)
        .isEqualTo(state);
    assertThat(g.epoch()).as("epoch").isEqualTo(epoch);
    assertThat(host(g.primary())).as("primary").isEqualTo(primary);
    assertThat(host(g.secondary())).as("secondary").isEqualTo(secondary);
    Group stored = rig.store.saves.getLast();
    assertThat(stored.state()).as("the persisted state: the API shows it").isEqualTo(state);
    assertThat(stored.epoch()).as("the persisted epoch").isEqualTo(epoch);
    assertThat(stored.primary()).as("the persisted primary").isEqualTo(g.primary());
    assertThat(stored.secondary()).as("the persisted secondary").isEqualTo(g.secondary());
  }

  /** A failover: epoch+1 persisted as FAILING_OVER first, then h2 promoted, then the proxy. */
  void assertFailedOverToH2() {
    assertGroup(GroupState.DEGRADED, FaultRig.EPOCH + 1, "h2", null);
    assertThat(rig.epochsSaved()).containsExactly(FaultRig.EPOCH, FaultRig.EPOCH + 1);
    int fenced = rig.first("store FAILING_OVER epoch " + (FaultRig.EPOCH + 1));
    int promoted = rig.first("h2/agent POST /v1/vms/kv/promote");
    int diskTakesOver = rig.first("h2/mirror POST /v1/volumes/kv/failover");
    int proxySwitched = rig.first("proxy POST /v1/groups/kv/failover");
    assertThat(fenced).as("the new epoch persisted before anyone is told").isNotNegative();
    assertThat(promoted).isGreaterThan(fenced);
    assertThat(diskTakesOver).isGreaterThan(fenced);
    assertThat(proxySwitched).isGreaterThan(promoted);
    assertThat(rig.proxy.epoch).as("the proxy serves the new epoch").isEqualTo(FaultRig.EPOCH + 1);
    assertThat(rig.group().counters().failovers()).isEqualTo(1);
  }

  /** A lost secondary: epoch+1 with h1 alone, persisted once; the proxy releases without h2. */
  void assertSecondaryLost() {
    assertGroup(GroupState.DEGRADED, FaultRig.EPOCH + 1, "h1", null);
    assertThat(rig.epochsSaved()).containsExactly(FaultRig.EPOCH, FaultRig.EPOCH + 1);
    assertThat(rig.store.events.stream().filter(e -> e.kind().equals("secondary-lost")))
        .as("one transition, persisted once")
        .hasSize(1);
    assertThat(rig.store.saves.stream().filter(g -> g.epoch() == FaultRig.EPOCH + 1))
        .extracting(Group::state)
        .containsOnly(GroupState.DEGRADED);
    // the fenced secondary is an orphan until its host answers, then its VM is deleted
    assertThat(
            rig.group().orphans().stream().anyMatch(r -> r.host().equals("h2"))
                || agent("h2").count("DELETE /v1/vms/kv") == 1)
        .as("the old secondary is left for clean-up or deleted")
        .isTrue();
    // the proxy stops comparing and releases the held output at once: it serves h1 alone
    assertThat(rig.proxy.count("POST /v1/groups/kv/failover")).isEqualTo(1);
    assertThat(rig.proxy.epoch).isEqualTo(FaultRig.EPOCH + 1);
    // never two primaries: nothing was promoted, no disk taken over
    rig.agents.values().forEach(a -> assertThat(a.count("/promote")).isZero());
    rig.mirrors.values().forEach(m -> assertThat(m.count("/failover")).isZero());
  }

  /** The rig with the group DEGRADED on h1 alone, and no other host that could pair with it. */
  void lonePrimaryOnH1() throws Exception {
    rig.close();
    rig =
        new FaultRig(
            g ->
                g.withReplicas(g.primary(), null).with(GroupState.DEGRADED, "running unprotected"));
    agent("h2").kill();
    agent("h3").kill();
  }

  long events(String kind) {
    return rig.store.events.stream().filter(e -> e.kind().equals(kind)).count();
  }

  /** The journal's index of the first line containing {@code match} after index {@code from}. */
  int firstAfter(int from, String match) {
    for (int i = from + 1; i < rig.journal.size(); i++) {
      if (rig.journal.get(i).contains(match)) {
        return i;
      }
    }
    return -1;
  }
}
