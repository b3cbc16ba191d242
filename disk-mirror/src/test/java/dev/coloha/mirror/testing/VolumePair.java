package dev.coloha.mirror.testing;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.mirror.volume.Volume;
import dev.coloha.mirror.volume.VolumeObserver;
import dev.coloha.mirror.volume.VolumeSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/**
 * A primary volume and a secondary volume in one JVM, connected by a {@link PipeTransport}: the
 * mirror's domain without HTTP. The secondary can be closed and reopened from its directory (a
 * restart of its mirror).
 */
public final class VolumePair implements AutoCloseable {
  public static final String P = "p";
  public static final String S = "s";

  private final Path root;
  private final VolumeSettings primarySettings;
  private VolumeSettings secondarySettings;
  private final long size;
  private final PipeTransport transport;
  private Volume primary;
  private volatile Volume secondary;
  private long epoch;

  public VolumePair(Path root, long size, long epoch, VolumeSettings p, VolumeSettings s)
      throws IOException {
    this.root = root;
    this.size = size;
    this.epoch = epoch;
    this.primarySettings = p;
    this.secondarySettings = s;
    this.transport = new PipeTransport(() -> secondary, s.maxFrame() + 64);
    primary =
        Volume.create(
            root.resolve(P),
            P,
            size,
            VolumeRole.PRIMARY,
            epoch,
            p,
            VolumeObserver.NONE,
            (url, vol) -> transport);
    secondary =
        Volume.create(
            root.resolve(S),
            S,
            size,
            VolumeRole.SECONDARY,
            epoch,
            s,
            VolumeObserver.NONE,
            (url, vol) -> transport);
  }

  public static VolumePair of(Path root, long size) throws IOException {
    VolumeSettings s = Settings.fast();
    return new VolumePair(root, size, 1, s, s);
  }

  public Volume primary() {
    return primary;
  }

  public Volume secondary() {
    return secondary;
  }

  public PipeTransport transport() {
    return transport;
  }

  public long epoch() {
    return epoch;
  }

  /** Starts the resync from the primary to the secondary. */
  public void resync() throws IOException {
    primary.resync("pipe://secondary", S);
  }

  /** Closes the secondary and opens it again from its files, with other settings. */
  public void restartSecondary(VolumeSettings settings) throws IOException {
    Volume old = secondary;
    secondary = null;
    transport.dropLinks();
    try {
      old.close();
    } catch (IOException | RuntimeException e) {
      // a simulated crash may leave it half-closed
    }
    secondarySettings = settings;
    secondary =
        Volume.open(root.resolve(S), settings, VolumeObserver.NONE, (url, vol) -> transport);
  }

  /**
   * Deletes the secondary and creates it again, empty, in the same place (what the coordinator does
   * before a re-protection on that host).
   */
  public void recreateSecondary() throws IOException {
    Volume old = secondary;
    secondary = null;
    transport.dropLinks();
    try {
      old.close();
    } catch (IOException | RuntimeException e) {
      // a dead mirror's volume may be half-closed
    }
    try (var files = java.nio.file.Files.walk(root.resolve(S))) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.delete(p);
      }
    }
    secondary =
        Volume.create(
            root.resolve(S),
            S,
            size,
            VolumeRole.SECONDARY,
            epoch,
            secondarySettings,
            VolumeObserver.NONE,
            (url, vol) -> transport);
  }

  public void restartSecondary() throws IOException {
    restartSecondary(secondarySettings);
  }

  /** Writes {@code count} random sector-aligned blocks to {@code v}. */
  public static void randomWrites(Volume v, long epoch, Random rnd, int count) throws IOException {
    for (int i = 0; i < count; i++) {
      int sectors = 1 + rnd.nextInt(16);
      long maxStart = v.sizeBytes() / 512 - sectors;
      long offset = (long) rnd.nextInt((int) maxStart + 1) * 512;
      byte[] data = new byte[sectors * 512];
      rnd.nextBytes(data);
      v.write(epoch, offset, data);
    }
  }

  @Override
  public void close() {
    for (Volume v : new Volume[] {primary, secondary}) {
      if (v != null) {
        try {
          v.close();
        } catch (IOException | RuntimeException e) {
          // closing anyway
        }
      }
    }
  }
}
