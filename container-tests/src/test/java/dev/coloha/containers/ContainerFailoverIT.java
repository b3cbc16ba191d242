package dev.coloha.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Http;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * End to end from the images (Testcontainers): a coordinator, two hosts and a proxy on one Docker
 * network; a protected kv group driven by the real redis-cli through the proxy's published port;
 * the primary host's agent and mirror are killed (SIGKILL) while a client writes, and the service
 * carries on on the other host: every write acknowledged before is still there, new writes work.
 */
class ContainerFailoverIT {
  private static ColoCluster cluster;

  @BeforeAll
  static void start() {
    Docker.require();
    Docker.requireTool("redis-cli", "redis-tools");
    cluster = new ColoCluster("ContainerFailoverIT", 2).start();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theKvGroupSurvivesTheLossOfItsPrimaryHost() throws Exception {
    String coordinator = cluster.coordinatorUrl();
    Cluster.awaitRegistered(cluster.api, coordinator, 2);
    Http.Reply created =
        cluster.api.post(
            coordinator + "/v1/groups", ColoApi.groupJson("kv", ColoCluster.KV_PORT, 0));
    assertThat(created.status()).as(created.body()).isBetween(200, 299);
    JsonNode group = Cluster.awaitState(cluster.api, coordinator, "kv", "PROTECTED");
    String primary = group.path("primary").path("host").asString();
    String secondary = group.path("secondary").path("host").asString();
    long epoch = group.path("epoch").asLong();
    assertThat(List.of(primary, secondary)).containsExactlyInAnyOrder("host-1", "host-2");

    RedisCli redis = new RedisCli(cluster.kvPort());
    await().atMost(Duration.ofSeconds(60)).until(() -> "PONG".equals(tryRun(redis, "PING")));
    Map<String, String> acked = new ConcurrentHashMap<>();
    for (int i = 0; i < 100; i++) {
      assertThat(redis.set("before-" + i, "v" + i)).as("SET before-%d", i).isTrue();
      acked.put("before-" + i, "v" + i);
    }
    assertThat(redis.get("before-99")).isEqualTo("v99");

    // a client keeps writing while the primary host dies; what it was told OK must survive
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer =
        Thread.ofPlatform()
            .start(
                () -> {
                  for (int i = 0; writing.get(); i++) {
                    if (redis.set("during-" + i, "w" + i)) {
                      acked.put("during-" + i, "w" + i);
                    }
                  }
                });
    await().pollDelay(Duration.ofMillis(300)).until(() -> true);
    cluster.killHost(primary);
    JsonNode after =
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> cluster.api.group(coordinator, "kv"),
                g ->
                    g != null
                        && secondary.equals(g.path("primary").path("host").asString())
                        && g.path("epoch").asLong() > epoch);
    await().pollDelay(Duration.ofSeconds(1)).until(() -> true);
    writing.set(false);
    writer.join(30_000);

    assertThat(after.path("state").asString()).isIn("DEGRADED", "FAILING_OVER", "REPROTECTING");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> "v0".equals(tryRun(redis, "GET", "before-0")));
    System.out.printf(
        "failover %s -> %s: %d writes acknowledged (%d while the primary died), state %s%n",
        primary,
        secondary,
        acked.size(),
        acked.keySet().stream().filter(k -> k.startsWith("during-")).count(),
        after.path("state").asString());
    for (Map.Entry<String, String> e : acked.entrySet()) {
      assertThat(redis.get(e.getKey())).as("acknowledged %s", e.getKey()).isEqualTo(e.getValue());
    }
    for (int i = 0; i < 20; i++) {
      assertThat(redis.set("after-" + i, "a" + i)).as("SET after-%d", i).isTrue();
    }
    assertThat(redis.get("after-19")).isEqualTo("a19");
    assertThat(
            Cluster.awaitState(cluster.api, coordinator, "kv", "DEGRADED").path("epoch").asLong())
        .isGreaterThan(epoch);
  }

  private static String tryRun(RedisCli redis, String... cmd) {
    try {
      return redis.run(cmd);
    } catch (AssertionError e) {
      return null;
    }
  }
}
