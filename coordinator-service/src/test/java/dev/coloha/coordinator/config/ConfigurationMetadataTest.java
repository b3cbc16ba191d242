package dev.coloha.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.ConfigurationMetadata;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The coordinator's settings are documented in its configuration metadata. */
class ConfigurationMetadataTest {
  @Test
  void everyCoordinatorSettingHasADescription() throws Exception {
    Map<String, String> coordinator = ConfigurationMetadata.descriptions("colo.coordinator.");
    coordinator.forEach((name, description) -> assertThat(description).as(name).isNotBlank());
    assertThat(coordinator).hasSizeGreaterThanOrEqualTo(10);
  }
}
