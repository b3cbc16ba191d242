package dev.coloha.proxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.proxy.group.ProxySettings;
import dev.coloha.proxy.testing.GroupRig;
import dev.coloha.web.settings.InvalidSettingException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code colo.proxy.*} bound as at start-up and mapped into the domain's {@link ProxySettings}: the
 * defaults map into bytes and durations, and a value that cannot work fails with the property
 * named.
 */
class ProxySettingsTest {

  @Test
  void theDefaultsMapIntoTheDomainsUnits() {
    ProxySettings s = GroupRig.props(Map.of()).toSettings();
    assertThat(s.limits().maxGroups()).isEqualTo(64);
    assertThat(s.limits().clientBuffer()).isEqualTo(1L << 20);
    assertThat(s.stream().maxFrame()).isEqualTo(2L << 20);
    assertThat(s.compare().sampleSize()).isEqualTo(64);
    assertThat(s.selfCheckpoint().minInterval()).isEqualTo(Duration.ofMillis(100));
    assertThat(s.testing().faults()).isEmpty();
  }

  @Test
  void aZeroReadTimeoutNamesItsProperty() {
    ProxyProperties p = GroupRig.props(Map.of("colo.proxy.stream.read-timeout", "0s"));
    assertThatThrownBy(p::toSettings)
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> assertThat(e.property()).isEqualTo("colo.proxy.stream.read-timeout"))
        .hasMessageContaining("colo.proxy.stream.read-timeout=PT0S");
  }

  @Test
  void aMinIntervalAboveTheMaximumBackoffNamesItsProperty() {
    ProxyProperties p =
        GroupRig.props(
            Map.of(
                "colo.proxy.self-checkpoint.min-interval", "10s",
                "colo.proxy.self-checkpoint.max-backoff", "5s"));
    assertThatThrownBy(p::toSettings)
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> assertThat(e.property()).isEqualTo("colo.proxy.self-checkpoint.min-interval"))
        .hasMessageContaining("colo.proxy.self-checkpoint.max-backoff");
  }

  @Test
  void aZeroHeldLimitNamesItsProperty() {
    ProxyProperties p = GroupRig.props(Map.of("colo.proxy.limits.held-per-group", "0B"));
    assertThatThrownBy(p::toSettings)
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> assertThat(e.property()).isEqualTo("colo.proxy.limits.held-per-group"));
  }
}
