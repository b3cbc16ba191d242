package dev.coloha.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.coordinator.group.CoordinatorSettings;
import dev.coloha.web.settings.InvalidSettingException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * {@code colo.coordinator.*} bound as at start-up and mapped into the groups' {@link
 * CoordinatorSettings}: the defaults map as they are, and a value that cannot work fails with the
 * property named.
 */
class CoordinatorSettingsTest {

  static CoordinatorProperties bind(Map<String, String> values) {
    return new Binder(new MapConfigurationPropertySource(values))
        .bindOrCreate("colo.coordinator", CoordinatorProperties.class);
  }

  @Test
  void theDefaultsMapAsTheyAre() {
    CoordinatorSettings s = bind(Map.of()).toSettings();
    assertThat(s.callTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.maxCheckpointFailures()).isEqualTo(3);
    assertThat(s.retry().reprotectMaxDelay(s.reprotectDelay())).isEqualTo(Duration.ofSeconds(8));
    assertThat(s.retry().restoreDelay()).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void aZeroProbeTimeoutNamesItsProperty() {
    CoordinatorProperties p = bind(Map.of("colo.coordinator.probe-timeout", "0s"));
    assertThatThrownBy(p::toSettings)
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> assertThat(e.property()).isEqualTo("colo.coordinator.probe-timeout"))
        .hasMessageContaining("colo.coordinator.probe-timeout=PT0S");
  }

  @Test
  void noCheckpointFailureAllowedNamesItsProperty() {
    CoordinatorProperties p = bind(Map.of("colo.coordinator.max-checkpoint-failures", "0"));
    assertThatThrownBy(p::toSettings)
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> assertThat(e.property()).isEqualTo("colo.coordinator.max-checkpoint-failures"))
        .hasMessageContaining("at least 1");
  }

  @Test
  void aRestoreDelayAboveItsMaximumNamesItsProperty() {
    CoordinatorProperties p =
        bind(
            Map.of(
                "colo.coordinator.retry.restore-delay", "2s",
                "colo.coordinator.retry.restore-max-delay", "1s"));
    assertThatThrownBy(p::toSettings)
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> assertThat(e.property()).isEqualTo("colo.coordinator.retry.restore-delay"))
        .hasMessageContaining("colo.coordinator.retry.restore-max-delay");
  }
}
