package dev.coloha.coordinator.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.CheckpointCommit;
import dev.coloha.api.ErrorKind;
import dev.coloha.api.agent.CheckpointResult;
import dev.coloha.api.agent.CreateVmRequest;
import dev.coloha.api.agent.LinkState;
import dev.coloha.api.agent.ReplicaRole;
import dev.coloha.api.agent.ReplicationRequests;
import dev.coloha.api.agent.ReplicationStatus;
import dev.coloha.api.agent.VmState;
import dev.coloha.api.agent.VmView;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.MiniCluster;
import dev.coloha.testkit.ServiceProcess;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.json.JsonMapper;

/**
 * The coordinator's {@link AgentClient} against two real replica agents (their executable jar,
 * processes on ephemeral loopback ports): a pair is created, synced, checkpointed and failed over
 * with the calls and bodies the coordinator uses, the answers read into colo-api's records (each
 * record written back is the JSON the agent's controller sent: {@link RoundTrip}), and refusals
 * come back as their {@link ErrorKind}.
 */
class AgentClientContractIT {
  static final String TOKEN = "contract-token";
  static final Duration TIMEOUT = Duration.ofSeconds(10);
  static final long MEMORY = 16L << 20;
  static final JsonMapper JSON = JsonMapper.builder().build();

  @RegisterExtension
  static final MiniCluster.PerClass cluster =
      MiniCluster.inTempDir("agent-client-contract")
          .token(TOKEN)
          .agents("agent-a", "agent-b")
          .perClass();

  static ServiceProcess a;
  static ServiceProcess b;
  static AgentClient client;

  @BeforeAll
  static void clients() {
    a = cluster.agent("agent-a");
    b = cluster.agent("agent-b");
    client = new AgentClient(Remotes.of(TOKEN, TIMEOUT), TIMEOUT, TIMEOUT, Duration.ofSeconds(60));
  }

  @Test
  void aPairIsSyncedCheckpointedAndFailedOverAsTheCoordinatorDoesIt() {
    String p = a.url();
    String s = b.url();
    assertThat(client.ready(p, TIMEOUT)).isTrue();
    assertThat(client.guests(p, TIMEOUT)).contains("kv");
    client.createVm(p, kvVm("pair", true));
    client.createVm(p, kvVm("pair", true)); // there: done
    client.start(p, "pair");
    client.createVm(s, kvVm("pair", false));
    assertThat(client.vmIds(p)).contains("pair");
    assertThat(client.hasVm(s, "pair", TIMEOUT)).isTrue();
    VmView vm = client.vm(p, "pair");
    assertThat(vm.id()).isEqualTo("pair");
    assertThat(vm.guest()).isEqualTo("kv");
    assertThat(vm.state()).isEqualTo(VmState.RUNNING);
    assertThat(RoundTrip.of(JSON, http(p).get("/v1/vms/pair"), VmView.class).id())
        .isEqualTo("pair");
    assertThat(RoundTrip.of(JSON, http(p).get("/v1/vms"), VmView[].class))
        .extracting(VmView::id)
        .contains("pair");

    ReplicationStatus secondary = client.becomeSecondary(s, "pair", 1);
    assertThat(secondary.role()).isEqualTo(ReplicaRole.SECONDARY);
    ReplicationStatus primary = client.becomePrimary(p, "pair", 1, s, "pair");
    assertThat(primary.role()).isEqualTo(ReplicaRole.PRIMARY);
    assertThat(primary.peer()).isEqualTo(new ReplicationRequests.PeerRef(s, "pair"));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> client.replication(p, "pair").state(), LinkState.PROTECTED::equals);
    ReplicationStatus synced = client.replication(p, "pair");
    assertThat(synced.epoch()).isEqualTo(1);
    assertThat(synced.vm()).isEqualTo("pair");
    assertThat(synced.sync()).as("the sync checkpoint").isNotNull();
    assertThat(synced.sync().sequence()).isEqualTo(synced.syncSequence());
    assertThat(
            RoundTrip.of(JSON, http(p).get("/v1/vms/pair/replication"), ReplicationStatus.class)
                .sync())
        .isEqualTo(synced.sync());
    assertThat(
            RoundTrip.of(JSON, http(s).get("/v1/vms/pair/replication"), ReplicationStatus.class)
                .role())
        .isEqualTo(ReplicaRole.SECONDARY);

    long next = synced.lastCheckpoint() + 1;
    CheckpointResult c = client.checkpoint(p, "pair", 1, next);
    assertThat(c.sequence()).isEqualTo(next);
    assertThat(c.vm()).isEqualTo("pair");
    assertThat(c.epoch()).isEqualTo(1);
    assertThat(c.totalMicros()).isPositive();
    assertThat(
            RoundTrip.of(
                    JSON,
                    http(p)
                        .post("/v1/vms/pair/checkpoint", "{\"epoch\":1,\"sequence\":" + next + "}"),
                    CheckpointResult.class)
                .sequence())
        .as("a repeated number, asked directly")
        .isEqualTo(next);
    assertThat(client.checkpoint(p, "pair", 1, next))
        .as("a repeated number: answered again")
        .isEqualTo(c);
    CheckpointCommit commit = c.commit();
    assertThat(commit.sequence()).isEqualTo(next);
    assertThat(commit.outputOffsets()).hasSameSizeAs(c.outputOffsets());
    assertThat(client.checkpointNext(p, "pair", 1).sequence()).isGreaterThan(next);
    assertThat(client.vm(p, "pair").openConnections()).isEmpty();

    ReplicationStatus promoted = client.promote(s, "pair", 2);
    assertThat(promoted.role()).as("a primary without a secondary").isEqualTo(ReplicaRole.SOLO);
    assertThat(promoted.epoch()).isEqualTo(2);

    client.deleteVm(p, "pair");
    client.deleteVm(s, "pair");
    client.deleteVm(s, "pair"); // gone already: done
    assertThat(client.hasVm(p, "pair", TIMEOUT)).isFalse();
  }

  static Http http(String url) {
    return new Http(url, TOKEN);
  }

  @Test
  void refusalsComeBackAsTheirKind() {
    assertThatThrownBy(() -> client.checkpoint(a.url(), "no-such-vm", 1, 1))
        .isInstanceOfSatisfying(
            RemoteException.class,
            e -> {
              assertThat(e.problemKind()).contains(ErrorKind.VM_NOT_FOUND);
              assertThat(e.status()).isEqualTo(ErrorKind.VM_NOT_FOUND.status());
            });
    client.createVm(a.url(), kvVm("alone", true));
    assertThatThrownBy(() -> client.checkpoint(a.url(), "alone", 1, 1))
        .isInstanceOfSatisfying(
            RemoteException.class,
            e -> assertThat(e.answered(ErrorKind.NOT_PRIMARY)).as(e.getMessage()).isTrue());
    client.deleteVm(a.url(), "alone");
  }

  /** A kv VM of {@code id} without a disk, as the coordinator asks for one. */
  private static CreateVmRequest kvVm(String id, boolean start) {
    return new CreateVmRequest(id, "kv", MEMORY, 0L, start, null, null, null, null, null);
  }
}
