package dev.coloha.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.ConfigurationMetadata;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The configuration processor documents every colo.proxy.* setting in the jar's
 * META-INF/spring-configuration-metadata.json, with the description from {@link ProxyProperties}'s
 * javadoc.
 */
class ConfigurationMetadataTest {
  @Test
  void everySettingIsDescribed() throws Exception {
    Map<String, String> described = ConfigurationMetadata.descriptions("colo.proxy.");
    assertThat(described).hasSizeGreaterThanOrEqualTo(5);
    assertThat(described).allSatisfy((name, text) -> assertThat(text).as(name).isNotBlank());
  }
}
