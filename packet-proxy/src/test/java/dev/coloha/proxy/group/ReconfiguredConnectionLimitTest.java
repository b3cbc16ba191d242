package dev.coloha.proxy.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.proxy.config.ProxyProperties;
import dev.coloha.proxy.testing.FakeAgent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * A {@code PUT} of an existing group with a new {@code maxConnections} applies it (no Spring
 * context: the real proxy group against a fake agent on loopback): a raised limit admits the client
 * that waited, and the view shows the new limit.
 */
class ReconfiguredConnectionLimitTest {
  private static final long EPOCH = 3;

  private final FakeAgent agent = new FakeAgent();
  private final List<Socket> clients = new ArrayList<>();
  private Groups groups;

  ReconfiguredConnectionLimitTest() throws Exception {}

  @AfterEach
  void stop() throws Exception {
    for (Socket c : clients) {
      c.close();
    }
    if (groups != null) {
      groups.close();
    }
    agent.close();
  }

  private GroupSpec spec(long epoch, int maxConnections) {
    return new GroupSpec(
        "kv",
        epoch,
        "127.0.0.1",
        0,
        GroupSpec.Mode.PASSTHROUGH,
        new ReplicaRef(agent.url(), "p"),
        null,
        Duration.ofSeconds(10),
        new GroupLimits(1 << 20, 1 << 24, 1 << 20, 1 << 24, maxConnections),
        null,
        null);
  }

  private Socket connect(Group g) throws Exception {
    Socket c = new Socket("127.0.0.1", g.port());
    clients.add(c);
    return c;
  }

  @Test
  void aRaisedLimitAdmitsTheWaitingClient() throws Exception {
    ProxyProperties props =
        new Binder(new MapConfigurationPropertySource(Map.of("colo.proxy.client.linger", "1h")))
            .bindOrCreate("colo.proxy", Bindable.of(ProxyProperties.class));
    groups = new Groups(props, new SimpleMeterRegistry(), Map.of());
    groups.put(spec(EPOCH, 1));
    Group g = groups.group("kv");
    connect(g);
    await().atMost(Duration.ofSeconds(30)).until(() -> agent.opened("p").equals(Set.of(1)));
    connect(g); // waits in the backlog: the group is full

    groups.put(spec(EPOCH + 1, 2));

    assertThat(g.view().limits().maxConnections()).isEqualTo(2);
    await().atMost(Duration.ofSeconds(30)).until(() -> agent.opened("p").equals(Set.of(1, 2)));
    assertThat(g.view().counters().connections()).isEqualTo(2);
  }
}
