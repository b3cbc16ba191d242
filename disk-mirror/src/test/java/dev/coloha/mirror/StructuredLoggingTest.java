package dev.coloha.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.spring.ServiceOnRandomPort;
import dev.coloha.testkit.spring.TemporaryDataDir;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Structured console logs as docs/deployment.md documents them: {@code
 * LOGGING_STRUCTURED_FORMAT_CONSOLE=ecs} (compose {@code COLO_LOG_FORMAT}, Helm {@code
 * logging.structuredFormat}) makes every line a JSON object in the Elastic Common Schema.
 */
@ExtendWith(OutputCaptureExtension.class)
@TemporaryDataDir("colo.mirror.data-dir")
@TestPropertySource(properties = "logging.structured.format.console=ecs")
class StructuredLoggingTest extends ServiceOnRandomPort {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  void everyStartUpLineIsAnEcsJsonObject(CapturedOutput output) {
    List<String> lines =
        output
            .getOut()
            .lines()
            .filter(l -> !l.isBlank())
            .filter(l -> l.contains("@timestamp"))
            .toList();
    assertThat(lines).as("log lines of the mirror's start").isNotEmpty();
    JsonNode warning = null;
    for (String line : lines) {
      JsonNode n = parse(line);
      assertThat(field(n, "@timestamp")).as(line).isNotEmpty();
      assertThat(field(n, "log.level")).as(line).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
      assertThat(field(n, "log.logger")).as(line).isNotEmpty();
      assertThat(field(n, "ecs.version")).as(line).isNotEmpty();
      assertThat(field(n, "service.name")).as(line).isEqualTo("disk-mirror");
      if (field(n, "message").startsWith("colo.security.token is not set")) {
        warning = n;
      }
    }
    // one of COLO's own lines: colo-web's warning that the API is open (no token in this test)
    assertThat(warning).as("the 'colo.security.token is not set' line").isNotNull();
    assertThat(field(warning, "log.level")).isEqualTo("WARN");
    assertThat(field(warning, "log.logger")).startsWith("dev.coloha.");
  }

  private static JsonNode parse(String line) {
    try {
      return JSON.readTree(line);
    } catch (JacksonException e) {
      throw new AssertionError("not a JSON log line: " + line, e);
    }
  }

  /** A member by its ECS name, whether written dotted ({@code "log.level"}) or nested. */
  private static String field(JsonNode n, String name) {
    if (n.has(name)) {
      return n.get(name).asString();
    }
    JsonNode at = n;
    for (String part : name.split("\\.")) {
      at = at.path(part);
    }
    return at.isMissingNode() ? "" : at.asString();
  }
}
