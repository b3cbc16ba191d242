package dev.coloha.containers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Grafana's provisioning in the compose lab, checked without Grafana (its public image cannot be
 * pulled in CI): the datasource and dashboard provider files parse and point where
 * docker-compose.yml mounts things and runs Prometheus; the dashboard JSON parses, every datasource
 * it references is provisioned, and every panel that draws has a PromQL query.
 */
class GrafanaProvisioningTest {
  private static final YAMLMapper YAML = YAMLMapper.builder().build();
  private final Path root = Compose.repositoryRoot();
  private final JsonNode compose = yaml(root.resolve("docker-compose.yml"));
  private final JsonNode grafana = compose.path("services").path("grafana");

  @Test
  void theDatasourceIsThePrometheusOfTheComposeLab() {
    JsonNode datasources =
        yaml(root.resolve("docker/grafana/provisioning/datasources/prometheus.yml"));
    assertThat(datasources.path("apiVersion").asInt()).isEqualTo(1);
    assertThat(datasources.path("datasources").size()).isEqualTo(1);
    JsonNode ds = datasources.path("datasources").get(0);
    assertThat(ds.path("type").asString()).isEqualTo("prometheus");
    assertThat(ds.path("uid").asString()).isEqualTo(provisionedUid());
    URI url = URI.create(ds.path("url").asString());
    assertThat(compose.path("services").has(url.getHost()))
        .as("%s is a compose service", url.getHost())
        .isTrue();
    assertThat(compose.path("services").path(url.getHost()).path("image").asString())
        .contains("prometheus");
    assertThat(url.getPort()).isEqualTo(9090);
    // Grafana's $__rate_interval is four of these: the scrape interval of prometheus.yml
    JsonNode prometheus = yaml(root.resolve("docker/prometheus/prometheus.yml"));
    assertThat(ds.path("jsonData").path("timeInterval").asString())
        .isEqualTo(prometheus.path("global").path("scrape_interval").asString());
    assertThat(GrafanaDashboard.RATE_INTERVAL).isEqualTo("20s");
  }

  @Test
  void theDashboardProviderReadsTheMountedDashboards() {
    JsonNode providers = yaml(root.resolve("docker/grafana/provisioning/dashboards/colo-ha.yml"));
    assertThat(providers.path("providers").size()).isEqualTo(1);
    JsonNode provider = providers.path("providers").get(0);
    assertThat(provider.path("type").asString()).isEqualTo("file");
    Map<String, String> mounts = grafanaMounts();
    String dashboards = provider.path("options").path("path").asString();
    assertThat(mounts).containsEntry(dashboards, "./docker/grafana/dashboards");
    assertThat(mounts).containsEntry("/etc/grafana/provisioning", "./docker/grafana/provisioning");
    // the home dashboard is a file of that directory
    String home =
        grafana.path("environment").path("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH").asString();
    assertThat(home).startsWith(dashboards + "/");
    assertThat(
            root.resolve("docker/grafana/dashboards")
                .resolve(home.substring(dashboards.length() + 1)))
        .isRegularFile();
  }

  @Test
  void everyDatasourceTheDashboardReferencesIsProvisioned() {
    GrafanaDashboard dashboard = GrafanaDashboard.of(root);
    JsonNode json = dashboard.json();
    assertThat(json.path("uid").asString()).isNotBlank();
    // the ${datasource} variable: of type prometheus, on the provisioned datasource by default
    Map<String, JsonNode> variables = new TreeMap<>();
    for (JsonNode v : json.path("templating").path("list")) {
      variables.put(v.path("name").asString(), v);
    }
    JsonNode variable = variables.get("datasource");
    assertThat(variable).isNotNull();
    assertThat(variable.path("type").asString()).isEqualTo("datasource");
    assertThat(variable.path("query").asString()).isEqualTo("prometheus");
    assertThat(variable.path("current").path("value").asString()).isEqualTo(provisionedUid());

    List<String> unresolved = new ArrayList<>();
    List<JsonNode> references = new ArrayList<>();
    for (JsonNode v : variables.values()) {
      if (v.has("datasource")) {
        references.add(v.path("datasource"));
      }
    }
    for (JsonNode p : json.path("panels")) {
      if (p.has("datasource")) {
        references.add(p.path("datasource"));
      }
      for (JsonNode t : p.path("targets")) {
        if (t.has("datasource")) {
          references.add(t.path("datasource"));
        }
      }
    }
    assertThat(references).hasSizeGreaterThan(30);
    for (JsonNode ref : references) {
      String uid = ref.isString() ? ref.asString() : ref.path("uid").asString();
      boolean resolves =
          uid.equals(provisionedUid())
              || uid.equals("${datasource}") && variables.containsKey("datasource");
      if (!resolves || ref.isObject() && !"prometheus".equals(ref.path("type").asString())) {
        unresolved.add(ref.toString());
      }
    }
    assertThat(unresolved).as("datasource references not provisioned").isEmpty();
  }

  @Test
  void everyPanelThatDrawsHasAQuery() {
    GrafanaDashboard dashboard = GrafanaDashboard.of(root);
    Set<Integer> ids = new HashSet<>();
    for (GrafanaDashboard.Panel p : dashboard.panels()) {
      assertThat(ids.add(p.id())).as("panel id %d is unique", p.id()).isTrue();
      assertThat(p.title()).as("panel %d has a title", p.id()).isNotBlank();
      if (p.isRow()) {
        assertThat(p.queries()).as("row %s", p.title()).isEmpty();
        continue;
      }
      assertThat(p.queries()).as("panel %s has a query", p.title()).isNotEmpty();
      Set<String> refIds = new HashSet<>();
      for (GrafanaDashboard.Query q : p.queries()) {
        assertThat(q.expr()).as("%s %s expr", p.title(), q.refId()).isNotBlank();
        assertThat(refIds.add(q.refId())).as("%s refId %s", p.title(), q.refId()).isTrue();
        assertThat(q.promql())
            .as("%s %s: every Grafana variable replaced", p.title(), q.refId())
            .doesNotContain("$");
      }
    }
    // every query variable is a label_values(metric, label) the compose lab can answer
    assertThat(dashboard.labelVariables())
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.name()).isEqualTo("group");
              assertThat(v.promql()).isEqualTo("count by (group) (colo_proxy_held_bytes)");
            });
    // the panels the compose lab must show data for are panels of this dashboard
    Set<String> titles = new HashSet<>();
    dashboard.graphs().forEach(p -> titles.add(p.title()));
    assertThat(titles).containsAll(ComposeLabIT.PANELS_WITH_DATA);
  }

  private String provisionedUid() {
    return yaml(root.resolve("docker/grafana/provisioning/datasources/prometheus.yml"))
        .path("datasources")
        .get(0)
        .path("uid")
        .asString();
  }

  /** Grafana's volumes in docker-compose.yml: container path to host path. */
  private Map<String, String> grafanaMounts() {
    Map<String, String> mounts = new TreeMap<>();
    for (JsonNode v : grafana.path("volumes")) {
      String[] parts = v.asString().split(":");
      mounts.put(parts[1], parts[0]);
    }
    return mounts;
  }

  private static JsonNode yaml(Path file) {
    try {
      return YAML.readTree(Files.readString(file));
    } catch (IOException e) {
      throw new IllegalStateException(file + " cannot be read", e);
    }
  }
}
