package dev.coloha.mirror.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.mirror.testing.Settings;
import dev.coloha.mirror.volume.Volume;
import dev.coloha.mirror.volume.VolumeObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MirrorMetricsTest {
  private static final List<String> EVENT_COUNTERS =
      List.of("colo.mirror.degradations", "colo.mirror.failovers", "colo.mirror.resyncs");

  @TempDir Path dir;

  @Test
  void anAddedVolumeHasItsEventCountersAtZeroAndARemovedOneNone() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MirrorMetrics metrics = new MirrorMetrics(registry);
    try (Volume v =
        Volume.create(
            dir,
            "disk-1",
            1024 * 1024,
            VolumeRole.PRIMARY,
            1,
            Settings.fast(),
            VolumeObserver.NONE,
            (u, e) -> null)) {
      metrics.added(v);
      for (String name : EVENT_COUNTERS) {
        assertThat(registry.get(name).tags("volume", "disk-1").counter().count()).isZero();
      }

      metrics.degraded("disk-1");
      assertThat(registry.get("colo.mirror.degradations").counter().count()).isEqualTo(1.0);

      metrics.removed("disk-1");
      for (String name : EVENT_COUNTERS) {
        assertThat(registry.find(name).tags("volume", "disk-1").counter()).isNull();
      }
    }
  }
}
