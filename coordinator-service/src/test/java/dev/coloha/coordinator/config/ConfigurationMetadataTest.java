package dev.coloha.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The coordinator's settings are documented in its configuration metadata. */
class ConfigurationMetadataTest {
  @Test
  void everyCoordinatorSettingHasADescription() throws Exception {
    JsonNode metadata =
        JsonMapper.builder()
            .build()
            .readTree(
                Files.readString(
                    Path.of("target/classes/META-INF/spring-configuration-metadata.json")));
    int coordinator = 0;
    for (JsonNode p : metadata.path("properties")) {
      String name = p.path("name").asString();
      if (name.startsWith("colo.coordinator.")) {
        coordinator++;
        assertThat(p.path("description").asString("")).as(name).isNotBlank();
      }
    }
    assertThat(coordinator).isGreaterThanOrEqualTo(10);
  }
}
