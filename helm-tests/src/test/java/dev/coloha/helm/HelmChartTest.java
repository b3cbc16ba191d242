package dev.coloha.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Lints and renders helm/colo-ha with helm-java (Helm's own Go code, no helm CLI, no network) and
 * checks the objects and values that matter.
 */
class HelmChartTest {
  static final Path CHART = locateChart();

  private static Path locateChart() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path c = p.resolve("helm/colo-ha");
      if (Files.isRegularFile(c.resolve("Chart.yaml"))) {
        return c;
      }
    }
    throw new IllegalStateException("helm/colo-ha not found above " + Path.of("").toAbsolutePath());
  }

  private static RenderedChart render(UnaryOperator<TemplateCommand> options) {
    TemplateCommand t = new Helm(CHART).template().withName("colo").withNamespace("colo-ha");
    return RenderedChart.parse(options.apply(t).call());
  }

  private static RenderedChart render() {
    return render(t -> t);
  }

  @Test
  void lintPassesStrict() {
    LintResult result = new Helm(CHART).lint().strict().call();
    assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
  }

  @Test
  void rendersEveryService() {
    RenderedChart chart = render();
    assertThat(chart.get("Deployment", "-coordinator")).isNotNull();
    assertThat(chart.get("Deployment", "-proxy")).isNotNull();
    assertThat(chart.get("DaemonSet", "-host")).isNotNull();
    assertThat(chart.get("Service", "-coordinator")).isNotNull();
    assertThat(chart.get("Service", "-proxy")).isNotNull();
    assertThat(chart.get("Service", "-host").path("spec").path("clusterIP").asString())
        .isEqualTo("None");
    assertThat(chart.get("Secret", "-token")).isNotNull();
    assertThat(chart.ofKind("Job").getFirst()).isNotNull();
    assertThat(chart.ofKind("ServiceMonitor")).isEmpty();
    assertThat(chart.get("Deployment", "-coordinator").path("spec").path("replicas").asInt())
        .isEqualTo(1);
  }

  @Test
  void agentsAndMirrorsRunOnEveryNodeWithTheirDataOnTheNode() {
    JsonNode ds = render(t -> t.set("hosts.dataPath", "/srv/colo")).get("DaemonSet", "-host");
    assertThat(RenderedChart.containers(ds))
        .extracting(c -> c.path("name").asString())
        .containsExactly("agent", "mirror");
    JsonNode volume = ds.path("spec").path("template").path("spec").path("volumes").get(0);
    assertThat(volume.path("hostPath").path("path").asString()).isEqualTo("/srv/colo");
    assertThat(volume.path("hostPath").path("type").asString()).isEqualTo("DirectoryOrCreate");
    for (JsonNode c : RenderedChart.containers(ds)) {
      assertThat(c.path("volumeMounts").get(0).path("mountPath").asString())
          .isEqualTo("/var/lib/colo");
      assertThat(RenderedChart.env(c, "COLO_HEARTBEAT_HOST").orElseThrow().path("value").asString())
          .isEqualTo("$(NODE_NAME)");
      assertThat(
              RenderedChart.env(c, "COLO_HEARTBEAT_ADVERTISE_URL")
                  .orElseThrow()
                  .path("value")
                  .asString())
          .startsWith("http://$(POD_IP):");
      assertThat(
              RenderedChart.env(c, "COLO_HEARTBEAT_COORDINATOR_URL")
                  .orElseThrow()
                  .path("value")
                  .asString())
          .isEqualTo("http://colo-colo-ha-coordinator:7700");
    }
    assertThat(RenderedChart.env(RenderedChart.container(ds, "agent"), "COLO_AGENT_DATA_DIR"))
        .hasValueSatisfying(
            e -> assertThat(e.path("value").asString()).isEqualTo("/var/lib/colo/agent"));
    JsonNode init = ds.path("spec").path("template").path("spec").path("initContainers").get(0);
    assertThat(init.path("name").asString()).isEqualTo("data-permissions");
  }

  @Test
  void agentsTakeCheckpointStreamsOnTheirDeclaredStreamPort() {
    JsonNode agent =
        RenderedChart.container(
            render(t -> t.set("hosts.agent.streamPort", 7811)).get("DaemonSet", "-host"), "agent");
    assertThat(RenderedChart.env(agent, "COLO_AGENT_REPLICATION_STREAM_PORT"))
        .hasValueSatisfying(e -> assertThat(e.path("value").asString()).isEqualTo("7811"));
    assertThat(agent.path("ports").findValuesAsString("name")).contains("checkpoints");
    assertThat(agent.path("ports").findValues("containerPort"))
        .extracting(JsonNode::asInt)
        .contains(7811);
  }

  @Test
  void everyServiceTakesTheTokenFromTheSecret() {
    RenderedChart chart = render(t -> t.set("security.token", "a-test-token-of-24-chars"));
    JsonNode secret = chart.get("Secret", "-token");
    String secretName = secret.path("metadata").path("name").asString();
    assertThat(
            new String(
                java.util.Base64.getDecoder().decode(secret.path("data").path("token").asString())))
        .isEqualTo("a-test-token-of-24-chars");
    for (String[] w :
        new String[][] {
          {"Deployment", "-coordinator"},
          {"Deployment", "-proxy"},
          {"DaemonSet", "-host"},
          {"Job", "-bootstrap-1"}
        }) {
      for (JsonNode c : RenderedChart.containers(chart.get(w[0], w[1]))) {
        JsonNode ref =
            RenderedChart.env(c, "COLO_SECURITY_TOKEN")
                .orElseThrow(() -> new AssertionError(w[1] + " has no COLO_SECURITY_TOKEN"))
                .path("valueFrom")
                .path("secretKeyRef");
        assertThat(ref.path("name").asString()).as(w[1]).isEqualTo(secretName);
        assertThat(ref.path("key").asString()).isEqualTo("token");
        assertThat(c.toString()).doesNotContain("a-test-token-of-24-chars");
      }
    }
  }

  @Test
  void withoutATokenOneIsGeneratedAtInstall() {
    JsonNode secret = render().get("Secret", "-token");
    String token =
        new String(
            java.util.Base64.getDecoder().decode(secret.path("data").path("token").asString()));
    assertThat(token).hasSize(40);
    assertThat(
            secret.path("metadata").path("annotations").path("helm.sh/resource-policy").asString())
        .isEqualTo("keep");
  }

  @Test
  void anUpgradeReadsTheTokenBackFromTheCluster() throws Exception {
    // helm-java renders as an install (no cluster): the upgrade path is checked in the template
    String template = Files.readString(CHART.resolve("templates/secret.yaml"));
    int upgrade = template.indexOf("if and (not $token) .Release.IsUpgrade");
    int lookup = template.indexOf("lookup \"v1\" \"Secret\" .Release.Namespace $name");
    assertThat(upgrade).isNotNegative();
    assertThat(lookup).isGreaterThan(upgrade);
    assertThat(template.indexOf("randAlphaNum 40")).isGreaterThan(lookup);
  }

  @Test
  void anExistingSecretReplacesTheChartsOwn() {
    RenderedChart chart = render(t -> t.set("security.existingSecret", "my-colo-token"));
    assertThat(chart.ofKind("Secret")).isEmpty();
    JsonNode c = RenderedChart.container(chart.get("Deployment", "-coordinator"), "coordinator");
    assertThat(
            RenderedChart.env(c, "COLO_SECURITY_TOKEN")
                .orElseThrow()
                .path("valueFrom")
                .path("secretKeyRef")
                .path("name")
                .asString())
        .isEqualTo("my-colo-token");
  }

  @Test
  void everyServiceHasLivenessAndReadinessProbesAndResources() {
    RenderedChart chart = render();
    Map<String, Integer> ports =
        Map.of("coordinator", 7700, "proxy", 7703, "agent", 7701, "mirror", 7702);
    for (JsonNode w :
        new JsonNode[] {
          chart.get("Deployment", "-coordinator"),
          chart.get("Deployment", "-proxy"),
          chart.get("DaemonSet", "-host")
        }) {
      for (JsonNode c : RenderedChart.containers(w)) {
        String name = c.path("name").asString();
        assertThat(c.path("livenessProbe").path("httpGet").path("path").asString())
            .as(name)
            .isEqualTo("/actuator/health/liveness");
        assertThat(c.path("readinessProbe").path("httpGet").path("path").asString())
            .as(name)
            .isEqualTo("/actuator/health/readiness");
        assertThat(c.path("readinessProbe").path("httpGet").path("port").asInt())
            .isEqualTo(ports.get(name));
        assertThat(c.path("startupProbe").isObject()).isTrue();
        assertThat(c.path("resources").path("requests").path("memory").asString()).isNotEmpty();
        assertThat(c.path("resources").path("limits").path("memory").asString()).isNotEmpty();
      }
    }
  }

  @Test
  void theProxyServesTheGroupPorts() {
    JsonNode svc =
        render(t -> t.set("proxy.groupPorts[0].name", "kv").set("proxy.groupPorts[0].port", 16379))
            .get("Service", "-proxy");
    assertThat(svc.path("spec").path("ports").toString()).contains("16379").contains("g-kv");
  }

  @Test
  void theServiceMonitorIsRenderedOnlyWhenEnabled() {
    assertThat(render().ofKind("ServiceMonitor")).isEmpty();
    RenderedChart chart = render(t -> t.set("serviceMonitor.enabled", true));
    JsonNode sm = chart.ofKind("ServiceMonitor").getFirst();
    JsonNode endpoints = sm.path("spec").path("endpoints");
    assertThat(endpoints.size()).isEqualTo(3);
    for (JsonNode e : endpoints) {
      assertThat(e.path("path").asString()).isEqualTo("/actuator/prometheus");
      assertThat(e.path("authorization").path("credentials").path("name").asString())
          .isEqualTo(chart.get("Secret", "-token").path("metadata").path("name").asString());
    }
  }

  @Test
  void structuredLogsAreOneValueForEveryServiceAndOffByDefault() {
    RenderedChart plain = render();
    RenderedChart ecs = render(t -> t.set("logging.structuredFormat", "ecs"));
    String[][] workloads = {
      {"Deployment", "-coordinator"}, {"Deployment", "-proxy"}, {"DaemonSet", "-host"}
    };
    for (String[] w : workloads) {
      for (JsonNode c : RenderedChart.containers(plain.get(w[0], w[1]))) {
        assertThat(RenderedChart.env(c, "LOGGING_STRUCTURED_FORMAT_CONSOLE")).isEmpty();
      }
      for (JsonNode c : RenderedChart.containers(ecs.get(w[0], w[1]))) {
        assertThat(
                RenderedChart.env(c, "LOGGING_STRUCTURED_FORMAT_CONSOLE")
                    .orElseThrow()
                    .path("value")
                    .asString())
            .as("%s %s", w[1], c.path("name").asString())
            .isEqualTo("ecs");
      }
    }
    assertThatThrownBy(() -> render(t -> t.set("logging.structuredFormat", "json")))
        .hasMessageContaining("structuredFormat");
  }

  @Test
  void theBootstrapJobRunsOnTheExtractedJar() {
    JsonNode job = render().ofKind("Job").getFirst();
    assertThat(RenderedChart.containers(job).getFirst().path("command").toString())
        .contains("\"-cp\",\"/opt/colo/app\"")
        .contains("org.springframework.boot.loader.launch.PropertiesLauncher")
        .doesNotContain("app.jar");
  }

  @Test
  void theSchemaRejectsBadValues() {
    assertThatThrownBy(() -> render(t -> t.set("coordinator.replicaCount", 2)))
        .hasMessageContaining("replicaCount");
    assertThatThrownBy(() -> render(t -> t.set("hosts.dataPath", "relative/dir")))
        .hasMessageContaining("dataPath");
    assertThatThrownBy(() -> render(t -> t.set("serviceMonitor.enabled", "\"yes\"")))
        .hasMessageContaining("serviceMonitor");
    assertThatThrownBy(() -> render(t -> t.set("bootstrap.groups[0]", "kv")))
        .hasMessageContaining("bootstrap");
  }

  @Test
  void helmJavaBringsItsOwnJnaAndNoOther() {
    // helm-java uses net.java.dev.jna:jna-jpms; the plain jna the parent pins for pcap4j is absent
    String cp = System.getProperty("java.class.path");
    assertThat(cp).contains("jna-jpms");
    assertThat(cp).doesNotContainPattern("[/\\\\]jna-5[^/\\\\]*\\.jar");
  }
}
