package dev.coloha.proxy.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.proxy.GroupLimits;
import dev.coloha.proxy.testing.GroupRig;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A {@code PUT} of an existing group with a new {@code maxConnections} applies it (no Spring
 * context: the real proxy group against a fake agent on loopback): a raised limit admits the client
 * that waited, and the view shows the new limit.
 */
class ReconfiguredConnectionLimitTest {
  private static final long EPOCH = 3;

  private final GroupRig rig = new GroupRig();

  ReconfiguredConnectionLimitTest() throws Exception {}

  @AfterEach
  void stop() throws Exception {
    rig.close();
  }

  private GroupSpec spec(long epoch, int maxConnections) {
    return new GroupSpec(
        "kv",
        epoch,
        "127.0.0.1",
        0,
        GroupSpec.Mode.PASSTHROUGH,
        rig.replica("p"),
        null,
        Duration.ofSeconds(10),
        new GroupLimits(1 << 20, 1 << 24, 1 << 20, 1 << 24, maxConnections),
        null,
        null);
  }

  @Test
  void aRaisedLimitAdmitsTheWaitingClient() throws Exception {
    Groups groups = rig.groups(Map.of("colo.proxy.client.linger", "1h"));
    groups.put(spec(EPOCH, 1));
    Group g = groups.group("kv");
    rig.client(g.port());
    await().atMost(Duration.ofSeconds(30)).until(() -> rig.agent.opened("p").equals(Set.of(1)));
    rig.client(g.port()); // waits in the backlog: the group is full

    groups.put(spec(EPOCH + 1, 2));

    assertThat(g.view().limits().maxConnections()).isEqualTo(2);
    await().atMost(Duration.ofSeconds(30)).until(() -> rig.agent.opened("p").equals(Set.of(1, 2)));
    assertThat(g.view().counters().connections()).isEqualTo(2);
  }
}
