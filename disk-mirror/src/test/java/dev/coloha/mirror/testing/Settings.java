package dev.coloha.mirror.testing;

import dev.coloha.mirror.volume.FlushPolicy;
import dev.coloha.mirror.volume.VolumeSettings;
import java.time.Duration;

/** Volume settings for tests: short timeouts, small chunks, page-cache flushes. */
public final class Settings {
  private Settings() {}

  public static VolumeSettings fast() {
    VolumeSettings d = VolumeSettings.defaults().withFlushPolicy(FlushPolicy.OS);
    return d.withReplication(
            new VolumeSettings.Replication(
                8L << 20,
                4096,
                Duration.ofSeconds(20),
                Duration.ofMillis(100),
                Duration.ofSeconds(5),
                Duration.ofSeconds(2),
                Duration.ofMillis(20),
                Duration.ofMillis(200)))
        .withResync(new VolumeSettings.Resync(64 << 10, 8, 256 << 10))
        .withSecondary(
            new VolumeSettings.Secondary(
                256L << 20, 256L << 20, Duration.ofSeconds(20), 1 << 20, Duration.ofSeconds(20)));
  }
}
