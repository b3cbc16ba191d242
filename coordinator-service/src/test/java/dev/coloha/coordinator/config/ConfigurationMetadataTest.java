package dev.coloha.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.web.testing.ConfigurationMetadata;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The configuration processor documents every colo.coordinator.* setting in the jar's
 * META-INF/spring-configuration-metadata.json, with the description from {@link
 * CoordinatorProperties}'s javadoc.
 */
class ConfigurationMetadataTest {
  @Test
  void everyCoordinatorSettingHasADescription() throws Exception {
    Map<String, String> described = ConfigurationMetadata.descriptions("colo.coordinator.");
    assertThat(described).hasSizeGreaterThanOrEqualTo(10);
    assertThat(described).allSatisfy((name, text) -> assertThat(text).as(name).isNotBlank());
  }
}
