package dev.coloha.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Http;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every service's {@code /actuator/prometheus} output is valid for {@code promtool check metrics},
 * and every metric the Grafana dashboard (docker/grafana/dashboards/colo-ha.json) queries is in
 * some service's output. The services run from the images with a protected kv group that has a disk
 * (so the mirror replicates), traffic, a refused request and a failover, which is what makes the
 * lazily registered meters appear.
 */
class MetricsExpositionIT {
  private static final Pattern COLO_METRIC = Pattern.compile("\\bcolo_[a-z0-9_]+");

  /**
   * promtool findings on COLO meters that are accepted (none). Anything on a colo_ metric fails.
   * Findings on Spring's and Micrometer's own meters (http_server_*, jvm_*) are not ours to fix and
   * are only printed.
   */
  private static final Set<String> KNOWN_COLO_FINDINGS = Set.of();

  private static ColoCluster cluster;
  private static final List<Exposition> expositions = new ArrayList<>();

  @BeforeAll
  static void runTheClusterThroughAFailover() {
    Docker.require();
    Docker.requireTool("redis-cli", "redis-tools");
    Docker.requireTool("promtool", "prometheus");
    cluster = new ColoCluster("MetricsExpositionIT", 2).start();
    String coordinator = cluster.coordinatorUrl();
    Cluster.awaitRegistered(cluster.api, coordinator, 2);
    Http.Reply created =
        cluster.api.post(
            coordinator + "/v1/groups",
            ColoApi.groupJson("kv", ColoCluster.KV_PORT, 16L * 1024 * 1024));
    assertThat(created.status()).as(created.body()).isBetween(200, 299);
    JsonNode group = Cluster.awaitState(cluster.api, coordinator, "kv", "PROTECTED");
    RedisCli redis = new RedisCli(cluster.kvPort());
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> "PONG".equals(redis.run("PING")));
    for (int i = 0; i < 100; i++) {
      assertThat(redis.set("m-" + i, "x".repeat(200))).isTrue();
    }
    // a refused request on every service (colo_api_rejected_total)
    for (String name : cluster.containers().keySet()) {
      assertThat(cluster.api.getWithoutToken(cluster.url(name) + "/v1/whatever").status())
          .isEqualTo(401);
    }
    // the agents' checkpoint meters appear with the first checkpoint after the traffic (the
    // coordinator takes one at least every policy maxInterval, 5 s by default)
    String primary = group.path("primary").path("host").asString();
    String secondary = group.path("secondary").path("host").asString();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                scrape(primary + "-agent").text().contains("colo_checkpoint_transfer_seconds_count")
                    && scrape(secondary + "-agent")
                        .text()
                        .contains("colo_checkpoint_apply_seconds_count"));
    // and the VM figures refresh (vm.stats-interval 1s)
    await().pollDelay(Duration.ofSeconds(2)).until(() -> true);
    for (String name : cluster.containers().keySet()) {
      expositions.add(scrape(name));
    }
    long epoch = group.path("epoch").asLong();
    cluster.killHost(primary);
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () -> cluster.api.group(coordinator, "kv"),
            g -> g != null && g.path("epoch").asLong() > epoch);
    assertThat(redis.set("after", "1")).isTrue();
    for (String name : cluster.containers().keySet()) {
      if (!name.startsWith(primary + "-")) {
        expositions.add(scrape(name));
      }
    }
  }

  private static Exposition scrape(String name) {
    Http.Reply r = cluster.api.get(cluster.url(name) + "/actuator/prometheus");
    assertThat(r.status()).as("%s /actuator/prometheus", name).isEqualTo(200);
    return new Exposition(name, r.body());
  }

  @AfterAll
  static void stop() throws Exception {
    Path dir = Path.of("target", "container-logs", "MetricsExpositionIT");
    Files.createDirectories(dir);
    int i = 0;
    for (Exposition e : expositions) {
      Files.writeString(dir.resolve((i++) + "-" + e.service() + ".prom"), e.text());
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyExpositionPassesPromtool() {
    assertThat(expositions).hasSizeGreaterThanOrEqualTo(6);
    List<String> failures = new ArrayList<>();
    for (Exposition e : expositions) {
      Exposition.Check check = e.promtool();
      if (check.exit() != 0 && check.exit() != 3) {
        failures.add(e.service() + ": promtool exit " + check.exit() + ": " + check.output());
        continue;
      }
      for (String problem : check.problems()) {
        if (problem.startsWith("colo_") && !KNOWN_COLO_FINDINGS.contains(problem)) {
          failures.add(e.service() + ": " + problem);
        } else {
          System.out.println("promtool (accepted) " + e.service() + ": " + problem);
        }
      }
    }
    assertThat(failures).as("promtool check metrics").isEmpty();
  }

  @Test
  void theGroupStateGaugeHasValues() {
    Exposition coordinator =
        expositions.stream()
            .filter(e -> e.service().equals("coordinator"))
            .findFirst()
            .orElseThrow();
    assertThat(coordinator.text().lines().filter(l -> l.startsWith("colo_groups{")))
        .isNotEmpty()
        .noneMatch(l -> l.endsWith(" NaN"));
  }

  @Test
  void everyDashboardQueryIsValidPromQl() throws Exception {
    // promtool parses PromQL in rule files: one recording rule per panel query, with Grafana's
    // variables replaced by what Grafana substitutes
    Path dashboard = Compose.repositoryRoot().resolve("docker/grafana/dashboards/colo-ha.json");
    JsonNode root = JsonMapper.builder().build().readTree(Files.readString(dashboard));
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
    int i = 0;
    for (JsonNode expr : root.findValues("expr")) {
      String q =
          expr.asString()
              .replace("$__rate_interval", "1m")
              .replace("$group", ".*")
              .replace("'", "''");
      rules.append("      - record: colo:dashboard:q").append(i++).append("\n");
      rules.append("        expr: '").append(q).append("'\n");
    }
    Path file = Files.createTempFile("colo-dashboard", ".rules.yml");
    Files.writeString(file, rules);
    Process p =
        new ProcessBuilder("promtool", "check", "rules", file.toString())
            .redirectErrorStream(true)
            .start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(out).contains("SUCCESS: " + i + " rules found");
  }

  @Test
  void everyMetricTheDashboardUsesIsExposed() throws Exception {
    Path dashboard = Compose.repositoryRoot().resolve("docker/grafana/dashboards/colo-ha.json");
    JsonNode root = JsonMapper.builder().build().readTree(Files.readString(dashboard));
    Set<String> used = new TreeSet<>();
    List<JsonNode> exprs = root.findValues("expr");
    assertThat(exprs).isNotEmpty();
    for (JsonNode expr : exprs) {
      Matcher m = COLO_METRIC.matcher(expr.asString());
      while (m.find()) {
        used.add(m.group());
      }
    }
    // the panels the issue asks for are there
    assertThat(used)
        .contains(
            "colo_coordinator_checkpoints_total",
            "colo_checkpoint_pause_seconds_bucket",
            "colo_checkpoint_transfer_seconds_bucket",
            "colo_vm_dirty_pages",
            "colo_proxy_mismatches_total",
            "colo_proxy_held_bytes",
            "colo_proxy_hold_delay_seconds_bucket",
            "colo_failovers_total",
            "colo_failover_duration_seconds_bucket",
            "colo_groups");
    List<String> missing =
        used.stream().filter(name -> !Exposition.exposes(expositions, name)).toList();
    assertThat(missing).as("dashboard metrics no service exposes").isEmpty();
  }
}
