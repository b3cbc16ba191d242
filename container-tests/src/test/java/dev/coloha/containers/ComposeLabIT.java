package dev.coloha.containers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Ports;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * The compose lab as a user runs it, with its observability profile, offline: {@code docker-compose
 * --profile observability up -d} with Prometheus from the image built on the local base from
 * Debian's package ({@code COLO_PROMETHEUS_IMAGE=colo-ha/prometheus}; Grafana keeps its public
 * image and is not started, its provisioning is checked by {@link GrafanaProvisioningTest}).
 * Healthy services, the kv group PROTECTED by the bootstrap job; Prometheus scrapes every service
 * with the token; every query of the dashboard parses on that Prometheus; {@code redis-cli} writes
 * through the published proxy port, then under a {@code redis-benchmark} load the primary host's
 * containers are killed ({@code docker kill}): the other host serves every acknowledged write and
 * new ones, the failover alert fires and the panels of {@link #PANELS_WITH_DATA} show data (the
 * record in docs/deployment.md). {@code docker-compose down -v} at the end. Ports are free ones, so
 * a running lab is not disturbed. One lab for all of it: starting it is what takes the time.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeLabIT {
  private static final String TOKEN = "compose-observability-token";

  /** Prometheus' targets in the compose lab: docker/prometheus/prometheus.yml, by service label. */
  private static final Set<String> TARGETS =
      Set.of(
          "coordinator-service/coordinator",
          "packet-proxy/proxy-1",
          "replica-agent/host-1",
          "replica-agent/host-2",
          "disk-mirror/host-1",
          "disk-mirror/host-2");

  /**
   * The dashboard panels that show data in the compose lab under a redis-benchmark load and a
   * primary kill (docs/deployment.md "Dashboard panels in the compose lab"). The kv group of the
   * compose lab has no disk, so the disk-mirror panels stay empty.
   */
  static final Set<String> PANELS_WITH_DATA =
      Set.of(
          "Groups by state",
          "Failovers",
          "Failover duration",
          "API requests rejected",
          "Checkpoints per second by reason",
          "Checkpoint pause (primary VM)",
          "Checkpoint transfer and apply",
          "Dirty pages",
          "Checkpoint bytes per second",
          "Output released by reason",
          "Mismatches by kind",
          "Held bytes",
          "Output hold delay",
          "Client connections");

  /** The load as Prometheus sees it: output released through the proxy over the last 15 s. */
  private static final String LOAD_RELEASED = "sum(rate(colo_proxy_released_bytes_total[15s])) > 0";

  /** The load as Prometheus sees it: checkpoints of the kv group over the last 15 s. */
  private static final String LOAD_CHECKPOINTS =
      "sum(rate(colo_coordinator_checkpoints_total[15s])) > 0";

  /** The alert a failover raises (docker/prometheus/alerts.yml; no {@code for:}). */
  private static final String FAILOVER_ALERT = "ColoFailover";

  private static final Path LOGS =
      Path.of("target", "container-logs", "ComposeLabIT").toAbsolutePath();

  private static Compose compose;
  private static int kvPort;
  private static String coordinator;
  private static PrometheusApi prometheus;
  private static GrafanaDashboard dashboard;

  @BeforeAll
  static void up() {
    Docker.require();
    Docker.requireImage(
        Docker.Images.of("prometheus"),
        "docker/build-images.sh --local-base --prometheus (the module's pre-integration-test)");
    Docker.requireTool("docker-compose", "docker-compose");
    Docker.requireTool("redis-benchmark", "redis-tools");
    kvPort = Ports.free();
    int coordinatorPort = Ports.free();
    int prometheusPort = Ports.free();
    coordinator = "http://127.0.0.1:" + coordinatorPort;
    prometheus = new PrometheusApi("http://127.0.0.1:" + prometheusPort);
    dashboard = GrafanaDashboard.of(Compose.repositoryRoot());
    compose =
        new Compose(
            Compose.repositoryRoot(),
            "colocompose" + ProcessHandle.current().pid(),
            Map.of(
                "COLO_TOKEN",
                TOKEN,
                "COLO_TAG",
                Docker.Images.tag(),
                "COLO_PROMETHEUS_IMAGE",
                Docker.Images.of("prometheus"),
                "COLO_KV_PORT",
                "" + kvPort,
                "COLO_COORDINATOR_PORT",
                "" + coordinatorPort,
                "COLO_PROMETHEUS_PORT",
                "" + prometheusPort,
                "COLO_JAVA_TOOL_OPTIONS",
                ColoCluster.JAVA_OPTS),
            LOGS.resolve("compose.log"));
    compose.runQuietly(120, "down", "-v", "--remove-orphans");
    // the whole profile but Grafana, whose public image cannot be pulled here
    List<String> services = new ArrayList<>();
    for (String s :
        compose.run(60, "--profile", "observability", "config", "--services").split("\\s+")) {
      if (!s.isBlank() && !s.equals("grafana")) {
        services.add(s);
      }
    }
    assertThat(services).contains("prometheus", "coordinator", "proxy", "bootstrap");
    List<String> up = new ArrayList<>(List.of("--profile", "observability", "up", "-d"));
    up.addAll(services);
    compose.run(600, up.toArray(String[]::new));
  }

  @AfterAll
  static void down() throws IOException {
    if (compose == null) {
      return;
    }
    try {
      Files.createDirectories(LOGS);
      Files.writeString(
          LOGS.resolve("services.log"),
          compose.runQuietly(180, "--profile", "observability", "logs", "--no-color"));
    } finally {
      // the lab goes even when its logs cannot be read (docker-compose logs is slow on a busy host)
      compose.runQuietly(180, "--profile", "observability", "down", "-v", "--remove-orphans");
    }
  }

  @Test
  @Order(1)
  void theServicesAreHealthyAndTheBootstrapJobProtectsKv() {
    assertThat(compose.run(60, "ps")).doesNotContain("unhealthy").doesNotContain("grafana");
    Cluster.awaitState(new ColoApi(TOKEN), coordinator, "kv", "PROTECTED");
    // the bootstrap job created it and finished
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () -> {
              String bootstrap = compose.run(30, "ps", "bootstrap");
              return bootstrap.contains("Exit 0") || bootstrap.contains("Exited (0)");
            });
  }

  @Test
  @Order(2)
  void prometheusFromTheLocalImageScrapesEveryServiceWithTheToken() {
    assertThat(compose.run(60, "ps", "prometheus")).contains("Up").doesNotContain("unhealthy");
    await().atMost(Duration.ofSeconds(120)).until(prometheus::ready);
    // Debian's Prometheus, not the public image
    JsonNode build = prometheus.buildInfo().data();
    assertThat(build.path("version").asString()).as("buildinfo").startsWith("2.");
    await()
        .atMost(Duration.ofSeconds(300))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(
            () -> {
              Map<String, String> health = targetHealth();
              assertThat(health.keySet()).containsExactlyInAnyOrderElementsOf(TARGETS);
              assertThat(health)
                  .as("target health")
                  .allSatisfy((t, h) -> assertThat(h).isEqualTo("up"));
            });
    // every alerting rule of alerts.yml is loaded and evaluates without error
    List<String> rules = new ArrayList<>();
    for (JsonNode g : prometheus.alertingRules().data().path("groups")) {
      for (JsonNode r : g.path("rules")) {
        assertThat(r.path("health").asString()).as(r.path("name").asString()).isNotEqualTo("err");
        rules.add(r.path("name").asString());
      }
    }
    assertThat(rules).contains(FAILOVER_ALERT, "ColoTargetDown", "ColoGroupNotProtected");
  }

  @Test
  @Order(3)
  void everyDashboardQueryParsesOnThisPrometheus() {
    List<String> failures = new ArrayList<>();
    int queries = 0;
    for (GrafanaDashboard.Panel panel : dashboard.graphs()) {
      for (GrafanaDashboard.Query q : panel.queries()) {
        queries++;
        PrometheusApi.Answer a = prometheus.query(q.promql());
        if (a.status() != 200) {
          failures.add(panel.title() + " " + q.refId() + ": " + a.status() + " " + a.error());
        }
      }
    }
    assertThat(queries).isGreaterThan(30);
    assertThat(failures).as("dashboard queries Prometheus refuses").isEmpty();
    // the $group variable lists the kv group (label_values of a metric the proxy exposes)
    List<GrafanaDashboard.LabelVariable> variables = dashboard.labelVariables();
    assertThat(variables).extracting(GrafanaDashboard.LabelVariable::name).contains("group");
    for (GrafanaDashboard.LabelVariable v : variables) {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(
              () -> {
                List<String> values = new ArrayList<>();
                for (JsonNode series : prometheus.query(v.promql()).data().path("result")) {
                  values.add(series.path("metric").path(v.label()).asString());
                }
                assertThat(values).as("values of $%s", v.name()).contains("kv");
              });
    }
    // a query with a syntax error is refused (400), so the check above can fail
    assertThat(prometheus.query("sum by (group (colo_groups)").status()).isEqualTo(400);
  }

  @Test
  @Order(4)
  void aPrimaryKilledUnderLoadLosesNoWriteFiresTheFailoverAlertAndThePanelsShowData()
      throws Exception {
    ColoApi api = new ColoApi(TOKEN);
    JsonNode group = Cluster.awaitState(api, coordinator, "kv", "PROTECTED");
    String primary = group.path("primary").path("host").asString();
    String secondary = group.path("secondary").path("host").asString();
    long epoch = group.path("epoch").asLong();
    RedisCli redis = new RedisCli(kvPort);
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> "PONG".equals(redis.run("PING")));
    for (int i = 0; i < 50; i++) {
      assertThat(redis.set("smoke-" + i, "s" + i)).as("SET smoke-%d", i).isTrue();
    }
    assertThat(redis.get("smoke-49")).isEqualTo("s49");

    Instant loadStart = Instant.now();
    Files.createDirectories(LOGS);
    Process benchmark =
        new ProcessBuilder(
                "redis-benchmark",
                "-h",
                "127.0.0.1",
                "-p",
                "" + kvPort,
                "-c",
                "8",
                "-n",
                "10000000",
                "-r",
                "10000",
                "-d",
                "64",
                "-t",
                "set,get",
                "-q")
            .redirectErrorStream(true)
            .redirectOutput(LOGS.resolve("redis-benchmark.log").toFile())
            .start();
    try {
      // the panels' rates need the load in several scrapes (every 5 s) before the kill: wait until
      // Prometheus has shown the proxy releasing output and the coordinator checkpointing for 10 s
      await()
          .during(Duration.ofSeconds(10))
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> seen(LOAD_RELEASED) && seen(LOAD_CHECKPOINTS));
      assertThat(benchmark.isAlive()).as("redis-benchmark runs against the kv group").isTrue();
      assertThat(alertStates(FAILOVER_ALERT)).as("no failover yet, no alert").isEmpty();

      String agent = compose.run(30, "ps", "-q", primary + "-agent").trim();
      String mirror = compose.run(30, "ps", "-q", primary + "-mirror").trim();
      Instant kill = Instant.now();
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
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> alertStates(FAILOVER_ALERT).contains("kv=firing"));
      System.out.printf(
          "ComposeLabIT: %s firing %d s after the kill of %s%n",
          FAILOVER_ALERT, Duration.between(kill, Instant.now()).toSeconds(), primary);
      // the killed host's two targets are down, and their alert is pending (firing after 1m)
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(
              () ->
                  assertThat(targetHealth())
                      .containsEntry("replica-agent/" + primary, "down")
                      .containsEntry("disk-mirror/" + primary, "down")
                      .containsEntry("replica-agent/" + secondary, "up"));
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () ->
                  alertStates("ColoTargetDown", "instance").stream()
                      .filter(a -> a.endsWith("=pending") || a.endsWith("=firing"))
                      .map(a -> a.substring(0, a.indexOf('=')))
                      .toList()
                      .containsAll(List.of(primary + "-agent:7701", primary + "-mirror:7702")));
    } finally {
      benchmark.destroyForcibly().waitFor();
    }
    // the other host serves every acknowledged write, and new ones
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> "s0".equals(redis.get("smoke-0")));
    for (int i = 0; i < 50; i++) {
      assertThat(redis.get("smoke-" + i)).as("smoke-%d after the failover", i).isEqualTo("s" + i);
    }
    assertThat(redis.set("after-failover", "yes")).isTrue();
    assertThat(redis.get("after-failover")).isEqualTo("yes");

    // the last scrape before now may not be in the range yet: query until the panels show data
    Map<String, Map<String, Boolean>> panels = new LinkedHashMap<>();
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofSeconds(5))
          .until(
              () -> {
                panels.clear();
                panels.putAll(queriesWithData(loadStart, Instant.now()));
                return panelsWithoutData(panels).isEmpty();
              });
    } finally {
      Files.writeString(LOGS.resolve("panels.md"), record(panels), StandardCharsets.UTF_8);
      System.out.print(record(panels));
    }
    assertThat(panelsWithoutData(panels)).as("panels that must show data but show none").isEmpty();
  }

  /** The panels of {@link #PANELS_WITH_DATA} none of whose queries has data. */
  private static Set<String> panelsWithoutData(Map<String, Map<String, Boolean>> panels) {
    Set<String> empty = new TreeSet<>(PANELS_WITH_DATA);
    panels.forEach(
        (title, queries) -> {
          if (queries.containsValue(true)) {
            empty.remove(title);
          }
        });
    return empty;
  }

  /** Whether an instant query has a result ({@code > 0} filters the zeros out). */
  private static boolean seen(String promql) {
    PrometheusApi.Answer a = prometheus.query(promql);
    return a.status() == 200 && !a.data().path("result").isEmpty();
  }

  /** Target health by service/host label: up, down or unknown. */
  private static Map<String, String> targetHealth() {
    Map<String, String> health = new LinkedHashMap<>();
    for (JsonNode t : prometheus.targets().data().path("activeTargets")) {
      JsonNode labels = t.path("labels");
      health.put(
          labels.path("service").asString() + "/" + labels.path("host").asString(),
          t.path("health").asString());
    }
    return health;
  }

  /** The named alert's instances as group=state (pending, firing). */
  private static Set<String> alertStates(String name) {
    return alertStates(name, "group");
  }

  /** The named alert's instances as label=state, by the value of {@code label}. */
  private static Set<String> alertStates(String name, String label) {
    Set<String> states = new TreeSet<>();
    for (JsonNode a : prometheus.alerts().data().path("alerts")) {
      if (name.equals(a.path("labels").path("alertname").asString())) {
        states.add(a.path("labels").path(label).asString() + "=" + a.path("state").asString());
      }
    }
    return states;
  }

  /**
   * Each graph panel's queries by refId, and whether each has data over the window: a sample that
   * is a number (a counter at zero is data; NaN, e.g. a quantile of no observations, is not) at a 5
   * s step, the query as Grafana sends it.
   */
  private static Map<String, Map<String, Boolean>> queriesWithData(Instant from, Instant to) {
    Map<String, Map<String, Boolean>> result = new LinkedHashMap<>();
    for (GrafanaDashboard.Panel panel : dashboard.graphs()) {
      Map<String, Boolean> queries = new LinkedHashMap<>();
      for (GrafanaDashboard.Query q : panel.queries()) {
        PrometheusApi.Answer a = prometheus.queryRange(q.promql(), from, to, Duration.ofSeconds(5));
        assertThat(a.status())
            .as(panel.title() + " " + q.refId() + ": " + a.error())
            .isEqualTo(200);
        boolean data = false;
        for (JsonNode series : a.data().path("result")) {
          for (JsonNode v : series.path("values")) {
            String s = v.path(1).asString();
            data |= !s.equals("NaN") && !s.endsWith("Inf");
          }
        }
        queries.put(q.refId(), data);
      }
      result.put(panel.title(), queries);
    }
    return result;
  }

  /** The record of docs/deployment.md: each panel, its queries with data and without. */
  private static String record(Map<String, Map<String, Boolean>> panels) {
    StringBuilder b =
        new StringBuilder("| panel | shows data | queries with data | queries without |\n");
    b.append("|---|---|---|---|\n");
    int with = 0;
    int all = 0;
    for (Map.Entry<String, Map<String, Boolean>> p : panels.entrySet()) {
      List<String> yes = new ArrayList<>();
      List<String> no = new ArrayList<>();
      p.getValue().forEach((refId, data) -> (data ? yes : no).add(refId));
      with += yes.size();
      all += p.getValue().size();
      b.append("| ")
          .append(p.getKey())
          .append(" | ")
          .append(yes.isEmpty() ? "no" : "yes")
          .append(" | ")
          .append(String.join(" ", yes))
          .append(" | ")
          .append(String.join(" ", no))
          .append(" |\n");
    }
    return b.append(with).append(" of ").append(all).append(" queries with data\n").toString();
  }
}
