package dev.coloha.helm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Prerequisites;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The alerting rules (docker/prometheus/alerts.yml) pass {@code promtool check rules} and their
 * unit tests ({@code promtool test rules alerts.test.yml}), every alert has a test that makes it
 * fire, a runbook and a severity, and the compose lab loads the file. promtool comes from Debian's
 * {@code prometheus} package: without it these tests are skipped on a developer's machine and fail
 * under {@code CI=true}.
 */
class AlertRulesTest {
  private static final YAMLMapper YAML = new YAMLMapper();
  static final Path ROOT = HelmChartTest.CHART.getParent().getParent();
  static final Path ALERTS = ROOT.resolve("docker/prometheus/alerts.yml");
  private static final Path TESTS = ROOT.resolve("docker/prometheus/alerts.test.yml");

  @BeforeAll
  static void promtool() {
    Prerequisites.require(
        Prerequisites.onPath("promtool"), "promtool is not installed (apt-get install prometheus)");
  }

  private record Run(int exit, String output) {}

  private static Run promtool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("promtool"));
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command)
            .directory(ALERTS.getParent().toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(p.waitFor(), out);
  }

  static List<JsonNode> alerts(Path file) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode group : YAML.readTree(file.toFile()).path("groups")) {
      group.path("rules").forEach(out::add);
    }
    return out;
  }

  @Test
  void theRulesAreValid() throws Exception {
    Run r = promtool("check", "rules", ALERTS.getFileName().toString());
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS: " + alerts(ALERTS).size() + " rules found");
  }

  @Test
  void everyUnitTestPasses() throws Exception {
    Run r = promtool("test", "rules", TESTS.getFileName().toString());
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("SUCCESS");
  }

  @Test
  void everyAlertHasATestThatMakesItFire() {
    Set<String> fired = new TreeSet<>();
    for (JsonNode test : YAML.readTree(TESTS.toFile()).path("tests")) {
      for (JsonNode t : test.path("alert_rule_test")) {
        if (!t.path("exp_alerts").isEmpty()) {
          fired.add(t.path("alertname").asString());
        }
      }
    }
    assertThat(alerts(ALERTS))
        .extracting(a -> a.path("alert").asString())
        .hasSizeGreaterThanOrEqualTo(7)
        .allSatisfy(name -> assertThat(fired).as("alerts.test.yml fires " + name).contains(name));
  }

  @Test
  void everyAlertHasASeverityARunbookAndASummary() {
    for (JsonNode a : alerts(ALERTS)) {
      String name = a.path("alert").asString();
      assertThat(a.path("labels").path("severity").asString())
          .as(name)
          .isIn("critical", "warning", "info");
      assertThat(a.path("annotations").path("summary").asString()).as(name).isNotBlank();
      assertThat(a.path("annotations").path("runbook").asString()).as(name).isNotBlank();
      assertThat(a.path("annotations").path("runbook_url").asString())
          .as(name)
          .isEqualTo("docs/alerts.md#" + name.toLowerCase(java.util.Locale.ROOT));
    }
  }

  @Test
  void theRunbookDocumentHasASectionPerAlert() throws Exception {
    String doc = Files.readString(ROOT.resolve("docs/alerts.md"));
    for (JsonNode a : alerts(ALERTS)) {
      assertThat(doc).contains("## " + a.path("alert").asString());
    }
  }

  @Test
  void theComposeLabsPrometheusConfigurationIsValidWithTheRules(@TempDir Path dir)
      throws Exception {
    // the container's paths (/etc/prometheus, /prometheus) made local to a scratch directory
    String config =
        Files.readString(ROOT.resolve("docker/prometheus/prometheus.yml"))
            .replace("/etc/prometheus/alerts.yml", dir.resolve("alerts.yml").toString())
            .replace("/prometheus/colo-token", dir.resolve("colo-token").toString());
    Files.writeString(dir.resolve("prometheus.yml"), config);
    Files.copy(ALERTS, dir.resolve("alerts.yml"));
    Files.writeString(dir.resolve("colo-token"), "token");
    Run r = promtool("check", "config", dir.resolve("prometheus.yml").toString());
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("SUCCESS: 1 rule files found")
        .contains("SUCCESS: " + alerts(ALERTS).size() + " rules found");
  }

  @Test
  void theComposeLabsPrometheusLoadsTheRules() throws Exception {
    JsonNode config = YAML.readTree(ROOT.resolve("docker/prometheus/prometheus.yml").toFile());
    assertThat(config.path("rule_files").get(0).asString()).isEqualTo("/etc/prometheus/alerts.yml");
    assertThat(Files.readString(ROOT.resolve("docker-compose.yml")))
        .contains("./docker/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro");
  }
}
