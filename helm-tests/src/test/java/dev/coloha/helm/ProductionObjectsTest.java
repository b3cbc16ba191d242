package dev.coloha.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The objects that make the chart production-shaped: the coordinator's store on a kept
 * PersistentVolumeClaim, PodDisruptionBudgets, the NetworkPolicy around the hosts, the
 * ServiceAccount, the PrometheusRule (the alerting rules of docker/prometheus/alerts.yml), the
 * {@code helm test} pod, the non-privileged storage alternative, and a schema that declares every
 * value.
 */
class ProductionObjectsTest {
  private static final Path CHART = HelmChartTest.CHART;
  private static final YAMLMapper YAML = new YAMLMapper();

  private static RenderedChart render(UnaryOperator<TemplateCommand> options) {
    TemplateCommand t = new Helm(CHART).template().withName("colo").withNamespace("colo-ha");
    return RenderedChart.parse(options.apply(t).call());
  }

  private static RenderedChart render() {
    return render(t -> t);
  }

  private static List<JsonNode> pods(RenderedChart chart) {
    List<JsonNode> pods = new ArrayList<>();
    for (String kind : List.of("Deployment", "DaemonSet", "Job")) {
      chart.ofKind(kind).forEach(w -> pods.add(w.path("spec").path("template")));
    }
    chart.ofKind("Pod").forEach(pods::add);
    return pods;
  }

  @Test
  void theCoordinatorsStoreIsOnAPersistentVolumeClaimKeptOnUninstall() {
    RenderedChart chart = render(t -> t.set("coordinator.persistence.size", "5Gi"));
    JsonNode pvc = chart.get("PersistentVolumeClaim", "-coordinator");
    assertThat(pvc.path("spec").path("resources").path("requests").path("storage").asString())
        .isEqualTo("5Gi");
    assertThat(pvc.path("metadata").path("annotations").path("helm.sh/resource-policy").asString())
        .isEqualTo("keep");
    JsonNode volume =
        chart
            .get("Deployment", "-coordinator")
            .path("spec")
            .path("template")
            .path("spec")
            .path("volumes")
            .get(0);
    assertThat(volume.path("persistentVolumeClaim").path("claimName").asString())
        .isEqualTo(pvc.path("metadata").path("name").asString());
  }

  @Test
  void anExistingClaimReplacesTheChartsOwn() {
    RenderedChart chart = render(t -> t.set("coordinator.persistence.existingClaim", "colo-store"));
    assertThat(chart.ofKind("PersistentVolumeClaim")).isEmpty();
    assertThat(
            chart
                .get("Deployment", "-coordinator")
                .path("spec")
                .path("template")
                .path("spec")
                .path("volumes")
                .get(0)
                .path("persistentVolumeClaim")
                .path("claimName")
                .asString())
        .isEqualTo("colo-store");
    JsonNode emptyDir =
        render(t -> t.set("coordinator.persistence.enabled", false))
            .get("Deployment", "-coordinator")
            .path("spec")
            .path("template")
            .path("spec")
            .path("volumes")
            .get(0);
    assertThat(emptyDir.has("emptyDir")).isTrue();
  }

  @Test
  void atMostOneHostPodIsEvictedAtATime() {
    RenderedChart chart = render();
    JsonNode pdb = chart.get("PodDisruptionBudget", "-host");
    assertThat(pdb.path("spec").path("maxUnavailable").asInt()).isEqualTo(1);
    JsonNode podLabels =
        chart
            .get("DaemonSet", "-host")
            .path("spec")
            .path("template")
            .path("metadata")
            .path("labels");
    assertSelects(pdb.path("spec").path("selector").path("matchLabels"), podLabels);
    JsonNode proxy = chart.get("PodDisruptionBudget", "-proxy");
    assertSelects(
        proxy.path("spec").path("selector").path("matchLabels"),
        chart
            .get("Deployment", "-proxy")
            .path("spec")
            .path("template")
            .path("metadata")
            .path("labels"));
    assertThat(
            render(t -> t.set("podDisruptionBudget.enabled", false)).ofKind("PodDisruptionBudget"))
        .isEmpty();
  }

  private static void assertSelects(JsonNode matchLabels, JsonNode podLabels) {
    assertThat(matchLabels.size()).isPositive();
    for (Map.Entry<String, JsonNode> e : matchLabels.properties()) {
      assertThat(podLabels.path(e.getKey()).asString())
          .as(e.getKey())
          .isEqualTo(e.getValue().asString());
    }
  }

  @Test
  void onlyTheCoordinatorTheProxyAndOtherHostsReachTheAgentsAndMirrors() {
    RenderedChart chart = render();
    JsonNode policy = chart.get("NetworkPolicy", "-host");
    assertSelects(
        policy.path("spec").path("podSelector").path("matchLabels"),
        chart
            .get("DaemonSet", "-host")
            .path("spec")
            .path("template")
            .path("metadata")
            .path("labels"));
    assertThat(policy.path("spec").path("policyTypes").toString()).contains("Ingress");
    JsonNode ingress = policy.path("spec").path("ingress");
    assertThat(ingress.size()).isEqualTo(1);
    JsonNode from = ingress.get(0).path("from");
    assertThat(from.size()).isEqualTo(1);
    Map<String, List<String>> required = new java.util.HashMap<>();
    for (JsonNode m : from.get(0).path("podSelector").path("matchExpressions")) {
      assertThat(m.path("operator").asString()).isEqualTo("In");
      List<String> values = new ArrayList<>();
      m.path("values").forEach(v -> values.add(v.asString()));
      required.put(m.path("key").asString(), values);
    }
    assertThat(required)
        .containsEntry("app.kubernetes.io/instance", List.of("colo"))
        .containsEntry("app.kubernetes.io/name", List.of("colo-ha"))
        .containsEntry("app.kubernetes.io/component", List.of("coordinator", "proxy", "host"));
    assertThat(ingress.get(0).path("ports").findValues("port"))
        .extracting(JsonNode::asInt)
        .containsExactlyInAnyOrder(7701, 7711, 7702);
    // the pods the rule lets in do carry those labels
    for (String[] w : new String[][] {{"Deployment", "-coordinator"}, {"Deployment", "-proxy"}}) {
      JsonNode labels =
          chart.get(w[0], w[1]).path("spec").path("template").path("metadata").path("labels");
      assertThat(required.get("app.kubernetes.io/component"))
          .contains(labels.path("app.kubernetes.io/component").asString());
    }
  }

  @Test
  void prometheusMayBeLetInToTheMetricsPortsOnly() {
    JsonNode ingress =
        render(
                t ->
                    t.set(
                        "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name",
                        "monitoring"))
            .get("NetworkPolicy", "-host")
            .path("spec")
            .path("ingress");
    assertThat(ingress.size()).isEqualTo(2);
    assertThat(ingress.get(1).path("from").get(0).path("namespaceSelector").toString())
        .contains("monitoring");
    assertThat(ingress.get(1).path("ports").findValues("port"))
        .extracting(JsonNode::asInt)
        .containsExactlyInAnyOrder(7701, 7702);
    assertThat(render(t -> t.set("networkPolicy.enabled", false)).ofKind("NetworkPolicy"))
        .isEmpty();
  }

  @Test
  void everyPodRunsUnderTheChartsServiceAccountWithoutAnApiToken() {
    RenderedChart chart = render();
    JsonNode sa = chart.get("ServiceAccount", "colo-colo-ha");
    assertThat(sa.path("automountServiceAccountToken").asBoolean(true)).isFalse();
    List<JsonNode> pods = pods(chart);
    assertThat(pods).hasSizeGreaterThanOrEqualTo(4);
    for (JsonNode pod : pods) {
      JsonNode spec = pod.path("spec");
      assertThat(spec.path("serviceAccountName").asString()).isEqualTo("colo-colo-ha");
      assertThat(spec.path("automountServiceAccountToken").asBoolean(true)).isFalse();
      assertThat(spec.path("securityContext").path("seccompProfile").path("type").asString())
          .isEqualTo("RuntimeDefault");
    }
    RenderedChart existing =
        render(t -> t.set("serviceAccount.create", false).set("serviceAccount.name", "colo-sa"));
    assertThat(existing.ofKind("ServiceAccount")).isEmpty();
    assertThat(pods(existing))
        .allSatisfy(
            p ->
                assertThat(p.path("spec").path("serviceAccountName").asString())
                    .isEqualTo("colo-sa"));
  }

  @Test
  void thePrometheusRuleIsOffByDefaultAndCarriesTheComposeLabsAlerts() throws Exception {
    assertThat(render().ofKind("PrometheusRule")).isEmpty();
    assertThat(Files.readString(CHART.resolve("files/alerts.yml")))
        .as("helm/colo-ha/files/alerts.yml is docker/prometheus/alerts.yml")
        .isEqualTo(Files.readString(AlertRulesTest.ALERTS));
    JsonNode rule =
        render(
                t ->
                    t.set("prometheusRule.enabled", true)
                        .set("prometheusRule.labels.release", "kps"))
            .ofKind("PrometheusRule")
            .getFirst();
    assertThat(rule.path("metadata").path("labels").path("release").asString()).isEqualTo("kps");
    JsonNode expected = YAML.readTree(AlertRulesTest.ALERTS.toFile()).path("groups");
    assertThat(rule.path("spec").path("groups")).isEqualTo(expected);
    // the annotations' templates reach Prometheus untouched by Helm
    assertThat(rule.toString()).contains("{{ $labels.group }}");
  }

  @Test
  void theServiceMonitorNamesTheJobTheAlertsExpect() {
    JsonNode sm =
        render(t -> t.set("serviceMonitor.enabled", true)).ofKind("ServiceMonitor").getFirst();
    assertThat(sm.path("spec").path("jobLabel").asString()).isEqualTo("app.kubernetes.io/part-of");
    assertThat(
            render()
                .get("Service", "-coordinator")
                .path("metadata")
                .path("labels")
                .path("app.kubernetes.io/part-of")
                .asString())
        .isEqualTo("colo-ha");
  }

  @Test
  void helmTestAsksTheCoordinatorWithTheToken(@TempDir Path copy) throws Exception {
    // helm-java returns the release's manifest without its hooks (helm template's CLI adds them):
    // render a copy of the chart whose test pod is not a hook
    Path template = Path.of("templates", "tests", "test-coordinator.yaml");
    String original = Files.readString(CHART.resolve(template));
    assertThat(original).contains("helm.sh/hook: test");
    try (var files = Files.walk(CHART)) {
      for (Path f : files.toList()) {
        Path target = copy.resolve(CHART.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
    Files.writeString(copy.resolve(template), original.replace("helm.sh/hook: test", "hook: test"));
    RenderedChart chart =
        RenderedChart.parse(
            new Helm(copy)
                .template()
                .withName("colo")
                .withNamespace("colo-ha")
                .set("tests.hosts", 2)
                .call());
    JsonNode pod = chart.get("Pod", "-test");
    JsonNode c = pod.path("spec").path("containers").get(0);
    assertThat(
            RenderedChart.env(c, "COLO_SECURITY_TOKEN")
                .orElseThrow()
                .path("valueFrom")
                .path("secretKeyRef")
                .path("name")
                .asString())
        .isEqualTo(chart.get("Secret", "-token").path("metadata").path("name").asString());
    String script = c.path("command").get(3).asString();
    assertThat(script)
        .contains("url=http://colo-colo-ha-coordinator:7700")
        .contains("\"$url/actuator/health/readiness\"")
        .contains("Authorization: Bearer $COLO_SECURITY_TOKEN")
        .contains("/v1/hosts")
        .contains("-ge 2");
  }

  @Test
  void ephemeralStorageNeedsNeitherHostPathNorRoot() {
    JsonNode ds =
        render(t -> t.set("hosts.storage", "ephemeral").set("hosts.ephemeral.size", "20Gi"))
            .get("DaemonSet", "-host");
    JsonNode spec = ds.path("spec").path("template").path("spec");
    JsonNode volume = spec.path("volumes").get(0);
    assertThat(volume.has("hostPath")).isFalse();
    assertThat(
            volume
                .path("ephemeral")
                .path("volumeClaimTemplate")
                .path("spec")
                .path("resources")
                .path("requests")
                .path("storage")
                .asString())
        .isEqualTo("20Gi");
    assertThat(spec.has("initContainers")).isFalse();
    for (JsonNode c : spec.path("containers")) {
      assertThat(c.path("securityContext").path("allowPrivilegeEscalation").asBoolean(true))
          .isFalse();
      assertThat(c.path("securityContext").path("capabilities").path("drop").toString())
          .contains("ALL");
    }
    assertThat(spec.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
    assertThatThrownBy(() -> render(t -> t.set("hosts.storage", "nfs")))
        .hasMessageContaining("storage");
  }

  @Test
  void theSchemaDeclaresEveryValue() throws Exception {
    JsonNode values = YAML.readTree(CHART.resolve("values.yaml").toFile());
    JsonNode schema =
        JsonMapper.builder()
            .build()
            .readTree(Files.readString(CHART.resolve("values.schema.json")));
    List<String> undeclared = new ArrayList<>();
    undeclared(values, schema, "", undeclared);
    assertThat(undeclared).as("values without a schema").isEmpty();
    assertThatThrownBy(() -> render(t -> t.set("noSuchValue", 1)))
        .hasMessageContaining("noSuchValue");
  }

  /** Walks the values: every key of an object must be a property of the schema at that place. */
  private static void undeclared(JsonNode value, JsonNode schema, String path, List<String> out) {
    if (!value.isObject()) {
      return;
    }
    JsonNode props = schema.path("properties");
    for (Iterator<Map.Entry<String, JsonNode>> it = value.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String p = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
      if (props.has(e.getKey())) {
        undeclared(e.getValue(), props.path(e.getKey()), p, out);
      } else if (!schema.path("additionalProperties").isObject()) {
        out.add(p);
      }
    }
  }
}
