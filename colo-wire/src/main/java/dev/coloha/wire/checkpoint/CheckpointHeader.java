package dev.coloha.wire.checkpoint;

import java.util.Arrays;
import java.util.Objects;

/**
 * Identity of a checkpoint: which guest, which epoch, its number, what it is a delta of, and the
 * memory size it describes.
 *
 * @param guest guest name (for messages; the module hash is what is checked)
 * @param moduleHash SHA-256 of the guest's Wasm module: a checkpoint applies only to the same code
 * @param epoch fencing epoch of the group that produced it (0 for standalone VMs)
 * @param sequence checkpoint number N; N closes interval N
 * @param baseSequence the checkpoint this one is a delta of, {@link #NO_BASE} for a full one, or
 *     {@link #PRECOPY_BASE} for the final round of a live initial sync
 * @param memoryPages linear memory size in 64 KiB Wasm pages at the pause
 * @param pageCount number of 4 KiB pages carried
 */
public record CheckpointHeader(
    String guest,
    byte[] moduleHash,
    long epoch,
    long sequence,
    long baseSequence,
    int memoryPages,
    int pageCount) {

  /** Base of a full checkpoint. */
  public static final long NO_BASE = -1;

  /**
   * Base of the last round of a live initial sync: the checkpoint carries the pages dirtied since
   * the last pre-copy round and applies on top of the pre-copied image, making it whole.
   */
  public static final long PRECOPY_BASE = -2;

  public CheckpointHeader {
    Objects.requireNonNull(guest, "guest");
    Objects.requireNonNull(moduleHash, "moduleHash");
    if (moduleHash.length != 32) {
      throw new IllegalArgumentException("module hash must be 32 bytes (SHA-256)");
    }
  }

  public boolean full() {
    return baseSequence == NO_BASE;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CheckpointHeader h
        && guest.equals(h.guest)
        && Arrays.equals(moduleHash, h.moduleHash)
        && epoch == h.epoch
        && sequence == h.sequence
        && baseSequence == h.baseSequence
        && memoryPages == h.memoryPages
        && pageCount == h.pageCount;
  }

  @Override
  public int hashCode() {
    return Objects.hash(guest, Arrays.hashCode(moduleHash), epoch, sequence, baseSequence);
  }

  @Override
  public String toString() {
    return "CheckpointHeader[guest=%s, epoch=%d, sequence=%d, base=%d, memoryPages=%d, pages=%d]"
        .formatted(guest, epoch, sequence, baseSequence, memoryPages, pageCount);
  }
}
