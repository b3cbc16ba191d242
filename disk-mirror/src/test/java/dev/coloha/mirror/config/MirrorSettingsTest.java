package dev.coloha.mirror.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.mirror.volume.VolumeSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * {@code colo.mirror.*} bound as at start-up and mapped into the domain's {@link VolumeSettings}:
 * the secondary's hold of forwarded writes defaults to what the domain's own default says, small
 * enough to stay in the CPU's cache until it is written (issue 18), and a setting overrides it.
 */
class MirrorSettingsTest {

  static MirrorProperties bind(Map<String, String> values) {
    return new Binder(new MapConfigurationPropertySource(values))
        .bindOrCreate("colo.mirror", MirrorProperties.class);
  }

  @Test
  void theSecondarysHoldDefaultsToACacheSizedBatch() {
    VolumeSettings s = bind(Map.of()).toSettings();
    assertThat(s.secondary().maxHeldBytes())
        .isEqualTo(VolumeSettings.DEFAULT_MAX_HELD_BYTES)
        .isEqualTo(256L << 10);
    // well below what the primary keeps until it is acknowledged
    assertThat(s.secondary().maxHeldBytes() * 16).isLessThan(s.replication().maxPendingBytes());
  }

  @Test
  void theHoldIsASetting() {
    VolumeSettings s = bind(Map.of("colo.mirror.secondary.max-held-bytes", "8MB")).toSettings();
    assertThat(s.secondary().maxHeldBytes()).isEqualTo(8L << 20);
    assertThat(bind(Map.of("colo.mirror.secondary.max-held-bytes", "0")).toSettings().secondary())
        .extracting(VolumeSettings.Secondary::maxHeldBytes)
        .isEqualTo(0L);
  }
}
