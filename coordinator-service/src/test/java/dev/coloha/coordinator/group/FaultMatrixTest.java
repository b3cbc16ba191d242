package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Replica;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fault matrix of docs/coordinator.md, row by row, on the coordinator's group logic: for each
 * fault its detection, the action taken, and the bound (which replica keeps the service, how many
 * epochs it costs, what the proxy is told). The services are fakes on loopback ({@link FaultRig});
 * the worker's loop is turned by hand, so nothing here waits for time to pass.
 */
class FaultMatrixTest {
  private FaultRig rig;

  @BeforeEach
  void rig() throws Exception {
    rig = new FaultRig();
  }

  @AfterEach
  void down() {
    rig.close();
  }

  private FakeService agent(String host) {
    return rig.agents.get(host);
  }

  private FakeService mirror(String host) {
    return rig.mirrors.get(host);
  }

  private static String host(Replica r) {
    return r == null ? null : r.host();
  }

  /** The state the group ends in, its epoch, and its replicas' hosts. */
  private void assertGroup(GroupState state, long epoch, String primary, String secondary) {
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
  private void assertFailedOverToH2() {
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
  private void assertSecondaryLost() {
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

  // ---- row 1: the primary's agent dies ---------------------------------------------------------

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

  // ---- row 2: the primary's disk mirror dies
  // -----------------------------------------------------

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

  // ---- row 3: the secondary's agent dies --------------------------------------------------------

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

  // ---- row 4: the secondary's disk mirror dies
  // ---------------------------------------------------

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

  // ---- row 5: the link between the hosts is cut
  // --------------------------------------------------

  @Test
  void row5ALinkCutWhileBothAnswerLosesTheSecondaryNeverMakesTwoPrimaries() {
    agent("h1").failAlways("/checkpoint", 504, "timeout");

    rig.mismatch();

    assertSecondaryLost();
  }

  // ---- row 6: the proxy dies or restarts without its groups
  // ----------------------------------------

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

  // ---- a primary without a secondary goes silent -----------------------------------------------

  /** The rig with the group DEGRADED on h1 alone, and no other host that could pair with it. */
  private void lonePrimaryOnH1() throws Exception {
    rig.close();
    rig =
        new FaultRig(
            g ->
                g.withReplicas(g.primary(), null).with(GroupState.DEGRADED, "running unprotected"));
    agent("h2").kill();
    agent("h3").kill();
  }

  private long events(String kind) {
    return rig.store.events.stream().filter(e -> e.kind().equals(kind)).count();
  }

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

  // ---- both replicas lost (both hosts' agents and mirrors killed and started again) ------------

  /** The journal's index of the first line containing {@code match} after index {@code from}. */
  private int firstAfter(int from, String match) {
    for (int i = from + 1; i < rig.journal.size(); i++) {
      if (rig.journal.get(i).contains(match)) {
        return i;
      }
    }
    return -1;
  }

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

  // ---- row 7: the coordinator dies ------------------------------------------------------------

  @Test
  void row7ACoordinatorRestartedInTheMiddleOfAFailoverFinishesItInThePersistedEpoch()
      throws Exception {
    rig.close();
    // the coordinator died after persisting the failover's epoch, before anyone was told
    rig =
        new FaultRig(
            g -> g.withEpoch(FaultRig.EPOCH + 1).with(GroupState.FAILING_OVER, "primary lost"));
    agent("h1").kill();

    try (GroupService restarted = rig.service()) {
      restarted.start();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> rig.store.saves.getLast().state() == GroupState.DEGRADED);
    }

    Group g = rig.store.saves.getLast();
    assertThat(g.epoch())
        .as("no new epoch: the persisted one fences")
        .isEqualTo(FaultRig.EPOCH + 1);
    assertThat(g.primary().host()).isEqualTo("h2");
    assertThat(rig.epochsSaved()).containsExactly(FaultRig.EPOCH + 1);
    assertThat(agent("h2").epoch)
        .as("promoted in the persisted epoch")
        .isEqualTo(FaultRig.EPOCH + 1);
    assertThat(rig.proxy.epoch).isEqualTo(FaultRig.EPOCH + 1);
    assertThat(rig.store.events).extracting(e -> e.kind()).contains("failed-over");
  }

  @Test
  void row7ACoordinatorRestartedWhileReprotectingPairsAgainInOneNewEpochAndDropsTheHalfMadeOne()
      throws Exception {
    rig.close();
    // the coordinator died while pairing h2 as the new secondary, in the re-protection's epoch
    rig =
        new FaultRig(
            g -> g.withEpoch(FaultRig.EPOCH + 1).with(GroupState.REPROTECTING, "syncing h2"));
    agent("h2").kill(); // ... and h2 went away meanwhile: the pairing must go elsewhere

    rig.worker.resume();
    for (int i = 0; i < 20 && rig.group().state() != GroupState.PROTECTED; i++) {
      rig.step(Duration.ofSeconds(1));
    }

    assertGroup(GroupState.PROTECTED, FaultRig.EPOCH + 2, "h1", "h3");
    assertThat(rig.epochsSaved())
        .as("the interrupted pairing's epoch, then one for the new pairing")
        .containsExactly(FaultRig.EPOCH + 1, FaultRig.EPOCH + 2);
    assertThat(agent("h1").count("/failover")).as("nothing failed over").isZero();
    assertThat(rig.proxy.epoch).isEqualTo(FaultRig.EPOCH + 2);
    assertThat(rig.group().orphans())
        .as("the half-made secondary on h2 is kept to be deleted once h2 answers")
        .extracting(Replica::host)
        .containsExactly("h2");
  }

  @Test
  void row7ACoordinatorRestartedWhileUnservedGivesTheProxyItsGroupBackInTheSameEpoch()
      throws Exception {
    rig.close();
    // the coordinator died while the proxy (restarted too) lacked the group
    rig = new FaultRig(g -> g.with(GroupState.UNSERVED, "the proxy's event stream broke"));
    rig.proxy.epoch = -1; // it knows no group

    rig.worker.resume();
    assertGroup(GroupState.UNSERVED, FaultRig.EPOCH, "h1", "h2");
    rig.step(Duration.ofMillis(50));

    assertGroup(GroupState.PROTECTED, FaultRig.EPOCH, "h1", "h2");
    assertThat(rig.proxy.epoch).isEqualTo(FaultRig.EPOCH);
    assertThat(rig.epochsSaved()).as("nothing needs fencing").containsExactly(FaultRig.EPOCH);
    assertThat(rig.first("proxy PUT /v1/groups/kv"))
        .as("given the group with a checkpoint taken then as the sync point")
        .isGreaterThan(rig.first("h1/agent POST /v1/vms/kv/checkpoint"))
        .isLessThan(rig.first("store PROTECTED"));
  }

  @Test
  void row7ACoordinatorRestartedWhileRestartingDoesNotExtendThePatience() throws Exception {
    rig.close();
    Duration patience = Duration.ofMinutes(5);
    // the coordinator died while the group waited 4 min 50 s for its last primary's host
    rig =
        new FaultRig(
            g ->
                g.withEpoch(FaultRig.EPOCH + 1)
                    .withDiskEpoch(FaultRig.EPOCH + 1)
                    .withReplicas(g.primary(), null)
                    .with(GroupState.RESTARTING, "both replicas lost")
                    .withSince(java.time.Instant.now().minus(patience.minusSeconds(10))));
    assertThat(rig.props.lonePrimaryPatience()).isEqualTo(patience);
    agent("h1").kill();
    agent("h2").kill();

    rig.worker.resume();
    rig.step(Duration.ofSeconds(1));
    assertGroup(GroupState.RESTARTING, FaultRig.EPOCH + 1, "h1", null);
    rig.step(Duration.ofSeconds(20)); // 5 min 11 s since the group began RESTARTING

    assertThat(rig.group().state())
        .as("the patience counts from when RESTARTING began, not from the restart")
        .isEqualTo(GroupState.FAILED);
    assertThat(rig.group().reason()).contains("within lone-primary-patience");
    assertThat(rig.epochsSaved()).containsExactly(FaultRig.EPOCH + 1);
  }

  @Test
  void row7ADeletionTheCoordinatorDidNotFinishIsFinishedWhenItStartsAgain() throws Exception {
    rig.close();
    // the coordinator died after persisting DELETING, before it told the services
    rig = new FaultRig(g -> g.with(GroupState.DELETING, "deleting"));

    try (GroupService restarted = rig.service()) {
      restarted.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> rig.store.deleted.contains("kv"));
    }

    for (String h : java.util.List.of("h1", "h2")) {
      assertThat(agent(h).count("DELETE /v1/vms/kv")).as(h + "'s VM").isEqualTo(1);
      assertThat(mirror(h).count("DELETE /v1/volumes/kv")).as(h + "'s volume").isEqualTo(1);
    }
    assertThat(rig.proxy.count("DELETE /v1/groups/kv")).as("the proxy's listener").isEqualTo(1);
    assertThat(rig.first("store delete kv"))
        .as("the group is forgotten last")
        .isGreaterThan(rig.first("h2/mirror DELETE /v1/volumes/kv"));
  }

  // ---- row 9: a service comes back
  // ---------------------------------------------------------------

  @Test
  void row9AServiceThatComesBackHasItsCircuitBreakerClosedByItsHeartbeat() {
    try (GroupService service = rig.service()) {
      for (String role : java.util.List.of("agent", "mirror", "proxy")) {
        String url =
            switch (role) {
              case "agent" -> agent("h1").url();
              case "mirror" -> mirror("h1").url();
              default -> rig.proxy.url();
            };
        String target =
            switch (role) {
              case "agent" -> dev.coloha.coordinator.remote.AgentClient.target(url);
              case "mirror" -> dev.coloha.coordinator.remote.MirrorClient.target(url);
              default -> dev.coloha.coordinator.remote.ProxyClient.target(url);
            };
        var breaker = rig.breakers.circuitBreaker(target);
        breaker.transitionToOpenState(); // its predecessor on that address stopped answering

        service.heartbeat(role.equals("proxy") ? "proxy" : "h1", role, url);

        assertThat(breaker.getState())
            .as("%s breaker after its heartbeat", role)
            .isEqualTo(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED);
      }
    }
  }

  // ---- both answer, yet checkpoints fail -------------------------------------------------------

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

  // ---- re-protection: one epoch, retries back off and reuse it ---------------------------------

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
