package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Replica;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Row 7 of the fault matrix: the coordinator dies in the middle of a transition; started again, it
 * finishes it in the persisted epoch. The services are fakes on loopback ({@link FaultMatrixCase}).
 */
class CoordinatorFaultTest extends FaultMatrixCase {
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
}
