package dev.coloha.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The compose lab as a user runs it: {@code docker-compose up -d} (without the observability
 * profile: {@link ComposeObservabilityIT} starts that), healthy services, the kv group PROTECTED by
 * the bootstrap job, redis-cli through the published proxy port, {@code docker kill} of the primary
 * host's containers, the service carrying on, {@code docker-compose down -v}. Ports are free ones
 * (COLO_KV_PORT, COLO_COORDINATOR_PORT), so a running lab is not disturbed.
 */
class ComposeSmokeIT {
  private static final String TOKEN = "compose-smoke-token";
  private static Compose compose;
  private static int kvPort;
  private static int coordinatorPort;

  @BeforeAll
  static void up() {
    Docker.require();
    Docker.requireTool("docker-compose", "docker-compose");
    Docker.requireTool("redis-cli", "redis-tools");
    kvPort = Compose.freePort();
    coordinatorPort = Compose.freePort();
    Path log =
        Path.of("target", "container-logs", "ComposeSmokeIT", "compose.log").toAbsolutePath();
    compose =
        new Compose(
            Compose.repositoryRoot(),
            "colosmoke" + ProcessHandle.current().pid(),
            Map.of(
                "COLO_TOKEN",
                TOKEN,
                "COLO_TAG",
                Docker.Images.tag(),
                "COLO_KV_PORT",
                "" + kvPort,
                "COLO_COORDINATOR_PORT",
                "" + coordinatorPort,
                "COLO_JAVA_TOOL_OPTIONS",
                ColoCluster.JAVA_OPTS),
            log);
    compose.runQuietly(120, "down", "-v", "--remove-orphans");
    compose.run(600, "up", "-d");
  }

  @AfterAll
  static void down() throws Exception {
    if (compose == null) {
      return;
    }
    Path logs = Path.of("target", "container-logs", "ComposeSmokeIT");
    Files.createDirectories(logs);
    Files.writeString(logs.resolve("services.log"), compose.runQuietly(60, "logs", "--no-color"));
    compose.runQuietly(180, "down", "-v", "--remove-orphans");
  }

  @Test
  void theLabServesKvAndSurvivesTheLossOfThePrimaryHost() {
    ColoApi api = new ColoApi(TOKEN);
    String coordinator = "http://127.0.0.1:" + coordinatorPort;
    String ps = compose.run(60, "ps");
    assertThat(ps)
        .doesNotContain("unhealthy")
        .doesNotContain("prometheus")
        .doesNotContain("grafana");

    JsonNode group = Cluster.awaitState(api, coordinator, "kv", "PROTECTED");
    String primary = group.path("primary").path("host").asString();
    String secondary = group.path("secondary").path("host").asString();
    long epoch = group.path("epoch").asLong();
    // the bootstrap job created it and finished
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () ->
                compose.run(30, "ps", "bootstrap").contains("Exit 0")
                    || compose.run(30, "ps", "bootstrap").contains("Exited (0)"));

    RedisCli redis = new RedisCli(kvPort);
    for (int i = 0; i < 50; i++) {
      assertThat(redis.set("smoke-" + i, "s" + i)).as("SET smoke-%d", i).isTrue();
    }
    assertThat(redis.get("smoke-49")).isEqualTo("s49");

    String agent = compose.run(30, "ps", "-q", primary + "-agent").trim();
    String mirror = compose.run(30, "ps", "-q", primary + "-mirror").trim();
    assertThat(agent).isNotEmpty();
    assertThat(mirror).isNotEmpty();
    compose.docker(60, "kill", agent, mirror);

    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> api.group(coordinator, "kv"),
            g ->
                g != null
                    && secondary.equals(g.path("primary").path("host").asString())
                    && g.path("epoch").asLong() > epoch);
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> "s0".equals(redis.get("smoke-0")));
    for (int i = 0; i < 50; i++) {
      assertThat(redis.get("smoke-" + i)).as("smoke-%d after the failover", i).isEqualTo("s" + i);
    }
    assertThat(redis.set("after-failover", "yes")).isTrue();
    assertThat(redis.get("after-failover")).isEqualTo("yes");
  }
}
