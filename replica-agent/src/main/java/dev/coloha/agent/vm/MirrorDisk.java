package dev.coloha.agent.vm;

import java.net.URI;

/**
 * A VM disk kept by a disk mirror instead of a local image file: the volume {@code volume} on the
 * mirror at {@code url} (this host's), attached in {@code epoch}.
 *
 * @param url the disk mirror's base URL
 * @param volume volume id on that mirror
 * @param epoch the volume epoch the VM attaches in (a failover moves it on)
 */
public record MirrorDisk(URI url, String volume, long epoch) {
  public MirrorDisk {
    if (url == null || volume == null || volume.isBlank()) {
      throw new IllegalArgumentException("a mirror disk needs the mirror's url and a volume id");
    }
    if (epoch < 0) {
      throw new IllegalArgumentException("mirror disk epoch must be >= 0, got " + epoch);
    }
  }

  public MirrorDisk withEpoch(long newEpoch) {
    return new MirrorDisk(url, volume, newEpoch);
  }
}
