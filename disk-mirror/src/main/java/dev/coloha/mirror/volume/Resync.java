package dev.coloha.mirror.volume;

import dev.coloha.api.mirror.VolumeStatus;
import dev.coloha.wire.block.BlockFrame;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a primary's whole image to a new secondary while the primary keeps writing (live
 * re-protection, like QEMU's drive-mirror): a bulk pass over every chunk (all-zero chunks are
 * skipped: the secondary starts from zeros), then dirty rounds re-copying the chunks written
 * meanwhile until few remain, then a final round with writes held by the volume's lock, at the end
 * of which forwarding begins. Frames go through the replication queue, in order with everything
 * else, so the secondary sees the copy first and the newer writes after it.
 */
final class Resync {
  private static final Logger log = LoggerFactory.getLogger(Resync.class);

  /** How far a resync got. */
  enum Phase {
    BULK,
    ROUNDS,
    FINAL,
    WAITING_ACK,
    DONE,
    FAILED
  }

  private final Volume volume;
  private final PrimaryReplication owner;
  private final VolumeSettings.Resync settings;
  private final long total;
  private volatile Phase phase = Phase.BULK;
  private volatile long copiedBytes;
  private volatile long skippedBytes;
  private volatile int round;
  private volatile long dirtyBytes;
  private volatile boolean stopped;
  private final long startedNanos = System.nanoTime();
  private volatile long finishedNanos;

  Resync(Volume volume, PrimaryReplication owner, VolumeSettings.Resync settings) {
    this.volume = volume;
    this.owner = owner;
    this.settings = settings;
    this.total = volume.sizeBytes();
  }

  void start() {
    Thread.ofVirtual().name("resync-" + volume.id()).start(this::run);
  }

  void stop() {
    stopped = true;
    if (phase != Phase.DONE) {
      phase = Phase.FAILED;
    }
  }

  boolean finished() {
    return phase == Phase.DONE || phase == Phase.FAILED;
  }

  /** The secondary acknowledged the end of the copy. */
  void acknowledged() {
    phase = Phase.DONE;
    finishedNanos = System.nanoTime();
    volume.observer().resynced(volume.id(), copiedBytes, finishedNanos - startedNanos);
  }

  VolumeStatus.ResyncProgress progress() {
    long end = finishedNanos == 0 ? System.nanoTime() : finishedNanos;
    return new VolumeStatus.ResyncProgress(
        phase.name(),
        total,
        copiedBytes,
        skippedBytes,
        round,
        dirtyBytes,
        (end - startedNanos) / 1e9);
  }

  private void run() {
    try {
      int chunk = settings.chunk();
      long chunks = (total + chunk - 1) / chunk;
      for (int i = 0; i < chunks && !stopped; i++) {
        copy(i, true);
      }
      phase = Phase.ROUNDS;
      while (!stopped && round < settings.maxRounds()) {
        int[] dirty;
        volume.lock().lock();
        try {
          DirtyMap map = owner.dirty();
          if (map == null) {
            return;
          }
          dirtyBytes = (long) map.count() * chunk;
          if (dirtyBytes <= settings.finalRoundBytes()) {
            break;
          }
          dirty = map.takeAll();
        } finally {
          volume.lock().unlock();
        }
        round++;
        for (int c : dirty) {
          if (stopped) {
            return;
          }
          copy(c, false);
        }
      }
      phase = Phase.FINAL;
      volume.lock().lock();
      try {
        DirtyMap map = owner.dirty();
        if (stopped || map == null) {
          return;
        }
        int[] last = map.takeAll();
        dirtyBytes = (long) last.length * chunk;
        for (int c : last) {
          copyLocked(c, false);
        }
        owner.resyncCopied();
        dirtyBytes = 0;
        if (!stopped) {
          phase = Phase.WAITING_ACK;
        }
      } finally {
        volume.lock().unlock();
      }
      log.info(
          "volume {}: resync copied {} bytes ({} zero bytes skipped) in {} dirty rounds",
          volume.id(),
          copiedBytes,
          skippedBytes,
          round);
    } catch (IOException | RuntimeException e) {
      phase = Phase.FAILED;
      if (!stopped) {
        owner.degrade("resync failed: " + e);
      }
    }
  }

  /** Reads one chunk under the lock and queues it outside (a write meanwhile marks it dirty). */
  private void copy(int index, boolean skipZeros) throws IOException {
    byte[] data;
    volume.lock().lock();
    try {
      if (stopped) {
        return;
      }
      data = read(index);
    } finally {
      volume.lock().unlock();
    }
    send(index, data, skipZeros);
  }

  private void copyLocked(int index, boolean skipZeros) throws IOException {
    send(index, read(index), skipZeros);
  }

  private byte[] read(int index) throws IOException {
    DirtyMap map = owner.dirty();
    if (map != null) {
      map.clear(index);
    }
    long offset = (long) index * settings.chunk();
    int length = (int) Math.min(settings.chunk(), total - offset);
    byte[] data = new byte[length];
    volume.base().read(offset, data, 0, length);
    return data;
  }

  private void send(int index, byte[] data, boolean skipZeros) {
    if (skipZeros && allZero(data)) {
      skippedBytes += data.length;
      return;
    }
    long offset = (long) index * settings.chunk();
    if (owner.forward(seq -> new BlockFrame.ResyncData(seq, offset, data), data.length) < 0) {
      stopped = true;
      return;
    }
    copiedBytes += data.length;
  }

  private static boolean allZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }
}
