package dev.coloha.proxy.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.proxy.GroupLimits;
import dev.coloha.api.proxy.GroupView;
import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import dev.coloha.proxy.config.ProxyProperties;
import dev.coloha.proxy.event.EventLog;
import dev.coloha.proxy.testing.FakeAgent;
import dev.coloha.wire.io.IoFrame;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The proxy's self-checkpoint (no Spring context): a group of the real proxy against a fake agent
 * on loopback that serves both replicas' streams and the primary's checkpoint endpoint. A CONTENT
 * mismatch holds the primary's byte; who releases it, and when the proxy asks the agent itself.
 */
class SelfCheckpointTest {
  private static final long EPOCH = 7;
  private static final String TOKEN = "Bearer self-checkpoint-test";

  private final FakeAgent agent = new FakeAgent();
  private Groups groups;
  private Socket client;
  private EventLog.Subscription coordinator;

  SelfCheckpointTest() throws Exception {}

  @AfterEach
  void stop() throws Exception {
    if (coordinator != null) {
      coordinator.close();
    }
    if (client != null) {
      client.close();
    }
    if (groups != null) {
      groups.close();
    }
    agent.close();
  }

  private static ProxyProperties props(String after, String grace) {
    return new Binder(
            new MapConfigurationPropertySource(
                Map.of(
                    "colo.proxy.self-checkpoint.after", after,
                    "colo.proxy.self-checkpoint.coordinator-grace", grace)))
        .bindOrCreate("colo.proxy", Bindable.of(ProxyProperties.class));
  }

  /**
   * A protected group synced at checkpoint 4 (a coordinator following its events if {@code
   * followed}), one client connected, and a CONTENT mismatch on its connection in interval 5: the
   * primary's "P" is held. Returns the group.
   */
  private Group mismatched(ProxyProperties props, boolean followed) throws Exception {
    groups =
        new Groups(props.toSettings(), new SimpleMeterRegistry(), Map.of("Authorization", TOKEN));
    groups.put(
        new GroupSpec(
            "kv",
            EPOCH,
            "127.0.0.1",
            0,
            GroupSpec.Mode.COLO,
            new ReplicaRef(agent.url(), "p"),
            new ReplicaRef(agent.url(), "s"),
            Duration.ofMinutes(10),
            new GroupLimits(1 << 20, 1 << 24, 1 << 20, 1 << 24, 100),
            new Commit(EPOCH, 4, Map.of(), Map.of(), Set.of()),
            null));
    Group g = groups.group("kv");
    if (followed) {
      coordinator = g.events().subscribe(-1);
    }
    client = new Socket("127.0.0.1", g.port());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> agent.opened("p").contains(1) && agent.opened("s").contains(1));
    agent.output("p", new IoFrame.Output(EPOCH, 5, 1, 0, bytes("P")));
    agent.output("s", new IoFrame.Output(EPOCH, 5, 1, 0, bytes("S")));
    await().atMost(Duration.ofSeconds(30)).until(() -> g.view().counters().mismatches() == 1);
    return g;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** The agent's answer to checkpoint 5: the pause after the primary's one byte. */
  private static FakeAgent.Answer checkpoint5() {
    return new FakeAgent.Answer(
        200,
        "application/json",
        "{\"vm\":\"p\",\"epoch\":7,\"sequence\":5,\"outputOffsets\":[{\"conn\":1,\"offset\":1}],"
            + "\"inputOffsets\":[{\"conn\":1,\"offset\":0}],\"closedConnections\":[],\"pages\":3}");
  }

  /** The coordinator's commit of checkpoint 5. */
  private static Commit commit5() {
    return new Commit(EPOCH, 5, Map.of(1, 1L), Map.of(1, 0L), Set.of());
  }

  private String read(int n) throws Exception {
    client.setSoTimeout(30_000);
    InputStream in = client.getInputStream();
    return new String(in.readNBytes(n), StandardCharsets.US_ASCII);
  }

  private static List<ProxyEvent> events(Group g, String type) {
    return g.events().history().stream().filter(e -> e.type().slug().equals(type)).toList();
  }

  @Test
  void withNoCoordinatorTheProxyChecksThePrimaryItselfAndReleasesTheHeldOutput() throws Exception {
    agent.onCheckpoint(c -> checkpoint5());
    Group g = mismatched(props("50ms", "1h"), false);

    assertThat(read(1)).isEqualTo("P"); // released by the proxy's own checkpoint

    assertThat(agent.checkpoints()).hasSize(1);
    FakeAgent.Call call = agent.checkpoints().getFirst();
    assertThat(call.vm()).isEqualTo("p"); // the primary, not the secondary
    assertThat(call.authorization()).isEqualTo(TOKEN); // the token of the agents' streams
    assertThat(call.body()).contains("\"epoch\":7").contains("\"sequence\":5");
    // the client may read the byte before the proxy records its success
    await().atMost(Duration.ofSeconds(30)).until(() -> !events(g, "self-checkpoint").isEmpty());
    GroupView.Counters c = g.view().counters();
    assertThat(c.committedSequence()).isEqualTo(5);
    assertThat(c.releasedCommittedBytes()).isEqualTo(1);
    assertThat(c.heldPrimaryBytes()).isZero();
    assertThat(c.selfCheckpoints()).isEqualTo(1);
    assertThat(c.selfCheckpointFailures()).isZero();
    ProxyEvent.SelfCheckpoint e =
        (ProxyEvent.SelfCheckpoint) events(g, "self-checkpoint").getFirst();
    assertThat(e.sequence()).isEqualTo(5);
    assertThat(e.epoch()).isEqualTo(EPOCH);
    assertThat(e.applied()).isTrue();
  }

  @Test
  void aCheckpointTheAgentRefusesLeavesTheOutputHeldAndAsksTheCoordinator() throws Exception {
    // the agent's VM is in a newer epoch: a coordinator failed over (or dropped the secondary)
    // and could not tell this proxy yet
    agent.onCheckpoint(
        c ->
            new FakeAgent.Answer(
                409,
                "application/problem+json",
                "{\"type\":\"https://coloha.dev/problems/stale-epoch\",\"title\":\"Stale epoch\","
                    + "\"status\":409,\"detail\":\"epoch 7 is older than the VM's 8\","
                    + "\"currentEpoch\":8}"));
    Group g = mismatched(props("50ms", "1h"), false);

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> !events(g, "self-checkpoint-failed").isEmpty());

    ProxyEvent.SelfCheckpointFailed f =
        (ProxyEvent.SelfCheckpointFailed) events(g, "self-checkpoint-failed").getFirst();
    assertThat(f.problem()).isEqualTo("stale-epoch");
    assertThat(f.epoch()).isEqualTo(EPOCH);
    assertThat(f.checkpointRequested()).isTrue();
    GroupView.Counters c = g.view().counters();
    assertThat(c.heldPrimaryBytes()).as("still held").isEqualTo(1);
    assertThat(c.releasedCommittedBytes()).isZero();
    assertThat(c.committedSequence()).isEqualTo(4);
    assertThat(c.selfCheckpointFailures()).isGreaterThanOrEqualTo(1);
    assertThat(c.selfCheckpoints()).isZero();
    assertThat(client.getInputStream().available()).isZero();

    // a coordinator that subscribes later (it was restarted) is asked for the checkpoint first
    try (EventLog.Subscription later = g.events().subscribe(-1)) {
      List<ProxyEvent> first = later.poll(10_000);
      assertThat(first).isNotEmpty();
      assertThat(first.getFirst().type()).isEqualTo(ProxyEventType.SELF_CHECKPOINT_FAILED);
      assertThat(((ProxyEvent.SelfCheckpointFailed) first.getFirst()).checkpointRequested())
          .isTrue();
    }

    // its commit releases the output, and the request no longer stands for the next subscriber
    g.commit(commit5());
    assertThat(read(1)).isEqualTo("P");
    try (EventLog.Subscription next = g.events().subscribe(-1)) {
      List<ProxyEvent> first = next.poll(0);
      assertThat(first).noneMatch(e -> e.type() == ProxyEventType.SELF_CHECKPOINT_FAILED);
    }
  }

  @Test
  void aFollowingCoordinatorIsLeftToDecide() throws Exception {
    agent.onCheckpoint(c -> checkpoint5());
    // the proxy would ask at once without a coordinator; a following one is given an hour
    Group g = mismatched(props("0ms", "1h"), true);

    // the rule ran several times with the request pending, and each time left it to the
    // coordinator
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> g.selfCheckpoint().waitedForCoordinator() >= 3);
    assertThat(agent.checkpoints()).isEmpty();
    assertThat(coordinator.poll(1000))
        .anyMatch(e -> e instanceof ProxyEvent.Mismatch m && m.checkpointRequested());
    assertThat(g.view().counters().eventSubscribers()).isEqualTo(1);

    // the coordinator's checkpoint and commit release the output
    g.commit(commit5());
    assertThat(read(1)).isEqualTo("P");
    assertThat(agent.checkpoints()).isEmpty();
    assertThat(g.view().counters().selfCheckpoints()).isZero();
  }
}
