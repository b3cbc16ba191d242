package dev.coloha.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.ConfigurationMetadata;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The configuration processor documents every colo-web setting in the jar's
 * META-INF/spring-configuration-metadata.json, with the description from the record's javadoc.
 */
class ConfigurationMetadataTest {
  @Test
  void everySettingIsDescribed() throws Exception {
    Map<String, String> described = ConfigurationMetadata.descriptions("colo.");
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
