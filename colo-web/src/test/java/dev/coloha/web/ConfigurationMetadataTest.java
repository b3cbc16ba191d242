package dev.coloha.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The configuration processor documents every colo-web setting in the jar's
 * META-INF/spring-configuration-metadata.json, with the description from the record's javadoc.
 */
class ConfigurationMetadataTest {
  @Test
  void everySettingIsDescribed() throws Exception {
    JsonNode metadata =
        JsonMapper.builder()
            .build()
            .readTree(
                Files.readString(
                    Path.of("target/classes/META-INF/spring-configuration-metadata.json")));
    Map<String, String> described = new HashMap<>();
    for (JsonNode p : metadata.path("properties")) {
      described.put(p.path("name").asString(), p.path("description").asString(""));
    }
    assertThat(described)
        .containsKeys(
            "colo.security.token",
            "colo.heartbeat.coordinator-url",
            "colo.openapi.title",
            "colo.openapi.server-url");
    assertThat(described.get("colo.openapi.server-url")).contains("servers");
    assertThat(described.get("colo.security.token")).contains("Bearer");
  }
}
