package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The coordinator dies between persisting a new epoch and acting on it ({@link
 * EpochFaultPoint#EPOCH_PERSISTED}): a coordinator started afterwards on the same store finishes
 * the transition in the persisted epoch, and the service never has two primaries.
 */
class EpochFaultPointTest {
  private FaultRig rig;

  @AfterEach
  void close() {
    if (rig != null) {
      rig.close();
    }
  }

  @Test
  void aFailoverWhoseCoordinatorDiedAfterPersistingItsEpochIsFinishedWithOnePrimary()
      throws Exception {
    rig = new FaultRig();
    rig.ops.faults(EpochFaultPoint.throwAt(EpochFaultPoint.EPOCH_PERSISTED));
    // a manual failover: the old primary on h1 is alive and still thinks it is the primary
    CompletableFuture<Group> asked = new CompletableFuture<>();
    rig.worker.send(new GroupWorker.Failover("manual failover", asked));
    rig.step(Duration.ofMillis(50));

    assertThat(asked).isCompletedExceptionally();
    assertThat(rig.store.saves.getLast().state()).isEqualTo(GroupState.FAILING_OVER);
    assertThat(rig.store.saves.getLast().epoch()).isEqualTo(FaultRig.EPOCH + 1);
    assertThat(rig.agents.get("h2").count("/promote")).as("nobody told yet").isZero();
    assertThat(rig.proxy.epoch).isEqualTo(FaultRig.EPOCH);
    rig.worker.stop(); // the coordinator is gone

    int restartedAt = rig.journal.size();
    try (GroupService restarted = rig.service()) {
      restarted.start();
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(5))
          .until(() -> rig.store.saves.stream().anyMatch(s -> s.state() == GroupState.DEGRADED));
    }

    // the failover's end is the first DEGRADED save; a re-protection may follow it (its own epoch)
    List<Group> saves = List.copyOf(rig.store.saves);
    int finished = 0;
    while (saves.get(finished).state() != GroupState.DEGRADED) {
      finished++;
    }
    Group g = saves.get(finished);
    assertThat(g.epoch()).as("the persisted epoch, no other").isEqualTo(FaultRig.EPOCH + 1);
    assertThat(g.primary().host()).isEqualTo("h2");
    assertThat(saves.subList(0, finished + 1).stream().map(Group::epoch).distinct())
        .containsExactly(FaultRig.EPOCH, FaultRig.EPOCH + 1);
    assertThat(saves.subList(finished, saves.size()))
        .as("h2 stays the primary")
        .allMatch(s -> s.primary().host().equals("h2"));
    assertThat(rig.agents.get("h2").count("/promote")).as("promoted once").isEqualTo(1);
    assertThat(rig.agents.get("h2").epoch).isEqualTo(FaultRig.EPOCH + 1);
    assertThat(rig.journal.subList(restartedAt, rig.journal.size()))
        .as("the old primary is never made a primary again")
        .noneMatch(line -> line.startsWith("h1/agent") && line.contains("/promote"))
        .noneMatch(line -> line.startsWith("h1/agent") && line.endsWith("/primary"));
    assertThat(rig.proxy.epoch)
        .as("the proxy serves h2 in the new epoch (or a re-protection's after it)")
        .isGreaterThanOrEqualTo(FaultRig.EPOCH + 1);
    assertThat(rig.first("proxy POST /v1/groups/kv/failover"))
        .isGreaterThan(rig.first("h2/agent POST /v1/vms/kv/promote"));
  }

  @Test
  void aLostSecondaryWhoseCoordinatorDiedAfterPersistingItsEpochNeverPromotesIt() throws Exception {
    rig = new FaultRig();
    rig.ops.faults(EpochFaultPoint.throwAt(EpochFaultPoint.EPOCH_PERSISTED));
    rig.agents.get("h2").kill();
    rig.worker.proxyEvent(ProxyEvents.streamBroken(rig.agents.get("h2").url(), "kv", "eof"));
    assertThatThrownBy(() -> rig.step(Duration.ofMillis(50)))
        .isInstanceOf(EpochFaultPoint.SimulatedCrash.class);
    assertThat(rig.store.saves.getLast().epoch()).isEqualTo(FaultRig.EPOCH + 1);
    assertThat(rig.store.saves.getLast().secondary()).isNull();
    rig.worker.stop();

    try (GroupService restarted = rig.service()) {
      restarted.start();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                // time passes for the re-protection's delay (the rig's clock is the test's)
                rig.clock.now = rig.clock.now.plusMillis(200);
                rig.beat();
                return rig.store.saves.getLast().state() == GroupState.PROTECTED;
              });
    }

    Group g = rig.store.saves.getLast();
    assertThat(g.primary().host()).as("the primary stays the primary").isEqualTo("h1");
    assertThat(g.secondary().host()).isEqualTo("h3");
    assertThat(rig.epochsSaved())
        .as("the lost secondary's epoch, then the re-protection's")
        .containsExactly(FaultRig.EPOCH, FaultRig.EPOCH + 1, FaultRig.EPOCH + 2);
    assertThat(rig.journal).noneMatch(line -> line.contains("/promote"));
    assertThat(rig.proxy.epoch).isEqualTo(FaultRig.EPOCH + 2);
  }

  @Test
  void aLostSecondaryWhoseCoordinatorDiedBeforeTellingTheProxyHasTheProxyToldOnRestart()
      throws Exception {
    rig = new FaultRig();
    rig.ops.faults(EpochFaultPoint.throwAt(EpochFaultPoint.EPOCH_PERSISTED));
    rig.agents.get("h2").kill();
    rig.worker.proxyEvent(ProxyEvents.streamBroken(rig.agents.get("h2").url(), "kv", "eof"));
    assertThatThrownBy(() -> rig.step(Duration.ofMillis(50)))
        .isInstanceOf(EpochFaultPoint.SimulatedCrash.class);
    assertThat(rig.store.saves.getLast().state()).isEqualTo(GroupState.DEGRADED);
    assertThat(rig.store.saves.getLast().epoch()).isEqualTo(FaultRig.EPOCH + 1);
    assertThat(rig.proxy.epoch).as("the proxy was not told").isEqualTo(FaultRig.EPOCH);
    rig.worker.stop();
    // no host to re-protect on: only the restart's own reconciliation can tell the proxy
    rig.agents.get("h3").kill();

    int restartedAt = rig.journal.size();
    try (GroupService restarted = rig.service()) {
      restarted.start();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                // time passes (a proxy slow to answer the restart's question is asked again)
                rig.clock.now = rig.clock.now.plusMillis(200);
                rig.beat();
                return rig.proxy.epoch == FaultRig.EPOCH + 1;
              });
    }

    assertThat(rig.journal.subList(restartedAt, rig.journal.size()))
        .as("the proxy is told the primary alone in the persisted epoch")
        .contains("proxy POST /v1/groups/kv/failover")
        .noneMatch(line -> line.contains("/promote"));
    assertThat(rig.epochsSaved())
        .as("no new epoch: the persisted one is the proxy's")
        .containsExactly(FaultRig.EPOCH, FaultRig.EPOCH + 1);
    Group g = rig.store.saves.getLast();
    assertThat(g.state()).isEqualTo(GroupState.DEGRADED);
    assertThat(g.primary().host()).isEqualTo("h1");
    assertThat(g.secondary()).isNull();
  }
}
