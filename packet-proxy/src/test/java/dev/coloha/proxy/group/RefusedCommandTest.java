package dev.coloha.proxy.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.proxy.GroupLimits;
import dev.coloha.api.proxy.GroupView;
import dev.coloha.proxy.compare.OutputComparator;
import dev.coloha.proxy.config.ProxyProperties;
import dev.coloha.proxy.testing.FakeAgent;
import dev.coloha.wire.GroupConflictException;
import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.io.IoFrame;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * A refused command changes nothing (no Spring context): a protected group of the real proxy
 * against a fake agent on loopback, one client connected, is sent every kind of refused {@code
 * PUT}, failover and commit; after each the group is exactly as it was (its view, every
 * connection's comparator state, no stream to another VM), and it goes on comparing and releasing.
 */
class RefusedCommandTest {
  private static final long EPOCH = 7;
  private static final GroupLimits LIMITS =
      new GroupLimits(1 << 20, 1 << 24, 1 << 20, 1 << 24, 100);

  private final FakeAgent agent = new FakeAgent();
  private Groups groups;
  private Socket client;
  private Group group;
  private ReplicaRef p;
  private ReplicaRef s;

  RefusedCommandTest() throws Exception {}

  @BeforeEach
  void protectedGroupWithAClient() throws Exception {
    ProxyProperties props =
        new Binder(new MapConfigurationPropertySource(Map.of("colo.proxy.client.linger", "1h")))
            .bindOrCreate("colo.proxy", Bindable.of(ProxyProperties.class));
    groups = new Groups(props.toSettings(), new SimpleMeterRegistry(), Map.of());
    p = new ReplicaRef(agent.url(), "p");
    s = new ReplicaRef(agent.url(), "s");
    groups.put(spec(EPOCH, s, Duration.ofMinutes(10), LIMITS, null));
    group = groups.group("kv");
    client = new Socket("127.0.0.1", group.port());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                agent.opened("p").contains(1)
                    && agent.opened("s").contains(1)
                    && group.view().state().equals("PROTECTED"));
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (groups != null) {
      groups.close();
    }
    agent.close();
  }

  private GroupSpec spec(
      long epoch, ReplicaRef secondary, Duration timeout, GroupLimits limits, Commit sync) {
    return new GroupSpec(
        "kv",
        epoch,
        "127.0.0.1",
        0,
        GroupSpec.Mode.COLO,
        p,
        secondary,
        timeout,
        limits,
        sync == null ? new Commit(EPOCH, 4, Map.of(), Map.of(), Set.of()) : sync,
        null);
  }

  /** The group as far as anything outside it can tell. */
  private record Snapshot(
      GroupView view, List<OutputComparator.ConnectionStats> connections, Set<Integer> toOther) {}

  private Snapshot snapshot() {
    return new Snapshot(group.view(), group.comparator().connections(), agent.opened("s2"));
  }

  private static GroupSpec with(GroupSpec x, UnaryOperator<GroupSpec> change) {
    return change.apply(x);
  }

  @Test
  void aRefusedReconfigurationLeavesTheGroupExactlyAsItWas() throws Exception {
    Snapshot before = snapshot();
    GroupSpec base = group.spec();
    ReplicaRef other = new ReplicaRef(agent.url(), "s2");
    GroupLimits smaller = new GroupLimits(1, 2, 3, 4, 5);
    Duration shorter = Duration.ofMillis(1);

    // an older epoch, whatever else it asks
    assertThatThrownBy(() -> groups.put(spec(EPOCH - 1, other, shorter, smaller, null)))
        .isInstanceOf(StaleEpochException.class);
    assertThat(snapshot()).isEqualTo(before);

    // a new listen port, with new settings and a new secondary in a newer epoch
    GroupSpec moved =
        with(
            spec(EPOCH + 1, other, shorter, smaller, null),
            x ->
                new GroupSpec(
                    x.name(),
                    x.epoch(),
                    x.bindAddress(),
                    base.port() + 1,
                    x.mode(),
                    x.primary(),
                    x.secondary(),
                    x.compareTimeout(),
                    x.limits(),
                    x.sync(),
                    null));
    assertThatThrownBy(() -> groups.put(moved))
        .isInstanceOf(GroupConflictException.class)
        .hasMessageContaining("listen address");
    assertThat(snapshot()).isEqualTo(before);

    // another primary (that is a failover's job)
    GroupSpec otherPrimary =
        with(
            spec(EPOCH + 1, null, shorter, smaller, null),
            x ->
                new GroupSpec(
                    x.name(),
                    x.epoch(),
                    x.bindAddress(),
                    0,
                    x.mode(),
                    other,
                    s,
                    x.compareTimeout(),
                    x.limits(),
                    x.sync(),
                    null));
    assertThatThrownBy(() -> groups.put(otherPrimary))
        .isInstanceOf(GroupConflictException.class)
        .hasMessageContaining("failover");
    assertThat(snapshot()).isEqualTo(before);

    // new settings in the same epoch
    assertThatThrownBy(() -> groups.put(spec(EPOCH, s, shorter, smaller, null)))
        .isInstanceOf(GroupConflictException.class)
        .hasMessageContaining("epoch above");
    assertThat(snapshot()).isEqualTo(before);

    // a new secondary without the checkpoint that synced it, with new settings
    GroupSpec unsynced =
        with(
            spec(EPOCH + 1, other, shorter, smaller, null),
            x ->
                new GroupSpec(
                    x.name(),
                    x.epoch(),
                    x.bindAddress(),
                    0,
                    x.mode(),
                    x.primary(),
                    x.secondary(),
                    x.compareTimeout(),
                    x.limits(),
                    null,
                    null));
    assertThatThrownBy(() -> groups.put(unsynced))
        .isInstanceOf(GroupConflictException.class)
        .hasMessageContaining("synced");
    assertThat(snapshot()).isEqualTo(before);

    stillComparesAndReleases();
  }

  @Test
  void aRefusedFailoverOrCommitLeavesTheGroupExactlyAsItWas() throws Exception {
    Snapshot before = snapshot();

    assertThatThrownBy(() -> group.failover(EPOCH - 1, s)).isInstanceOf(StaleEpochException.class);
    assertThat(snapshot()).isEqualTo(before);
    assertThatThrownBy(() -> group.failover(EPOCH, s)).isInstanceOf(GroupConflictException.class);
    assertThat(snapshot()).isEqualTo(before);
    assertThatThrownBy(() -> group.commit(new Commit(EPOCH + 1, 5, Map.of(), Map.of(), Set.of())))
        .isInstanceOf(GroupConflictException.class);
    assertThat(snapshot()).isEqualTo(before);
    assertThatThrownBy(() -> group.commit(new Commit(EPOCH - 1, 5, Map.of(), Map.of(), Set.of())))
        .isInstanceOf(StaleEpochException.class);
    assertThat(snapshot()).isEqualTo(before);

    stillComparesAndReleases();
  }

  /** Both replicas still compared in interval 5: identical output is released at once. */
  private void stillComparesAndReleases() throws Exception {
    agent.output("p", new IoFrame.Output(EPOCH, 5, 1, 0, bytes("same")));
    agent.output("s", new IoFrame.Output(EPOCH, 5, 1, 0, bytes("same")));
    client.setSoTimeout(30_000);
    InputStream in = client.getInputStream();
    assertThat(new String(in.readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("same");
    GroupView.Counters c = group.view().counters();
    assertThat(c.comparedBytes()).isEqualTo(4);
    assertThat(c.releasedMatchedBytes()).isEqualTo(4);
    assertThat(group.view().epoch()).isEqualTo(EPOCH);
    assertThat(group.view().state()).isEqualTo("PROTECTED");
  }

  private static byte[] bytes(String x) {
    return x.getBytes(StandardCharsets.US_ASCII);
  }
}
