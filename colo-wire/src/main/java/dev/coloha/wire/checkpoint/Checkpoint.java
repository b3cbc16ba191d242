package dev.coloha.wire.checkpoint;

import java.util.List;
import java.util.Objects;

/**
 * A captured VM state: the 4 KiB pages dirtied since the base checkpoint (every page for a full
 * one), the mutable globals and the device state.
 *
 * @param header identity and sizes
 * @param pageIndices indices of the carried 4 KiB pages, strictly ascending
 * @param pageData the pages' bytes in the same order; at least {@code pageIndices.length *
 *     PAGE_SIZE} long (a reused capture buffer may be longer: the rest is unused)
 * @param globals every mutable global
 * @param device host-side device state
 */
public record Checkpoint(
    CheckpointHeader header,
    int[] pageIndices,
    byte[] pageData,
    List<GlobalValue> globals,
    DeviceState device) {

  /** Dirty-tracking granularity. */
  public static final int PAGE_SIZE = 4096;

  /** 4 KiB pages per 64 KiB Wasm page. */
  public static final int PAGES_PER_WASM_PAGE = 16;

  public Checkpoint {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(pageIndices, "pageIndices");
    Objects.requireNonNull(pageData, "pageData");
    globals = List.copyOf(globals);
    Objects.requireNonNull(device, "device");
    if (pageData.length < (long) pageIndices.length * PAGE_SIZE) {
      throw new IllegalArgumentException(
          "page data holds " + pageData.length + " bytes for " + pageIndices.length + " pages");
    }
    if (header.pageCount() != pageIndices.length) {
      throw new IllegalArgumentException(
          "header says " + header.pageCount() + " pages, body has " + pageIndices.length);
    }
  }

  public int pageCount() {
    return pageIndices.length;
  }

  public long pageBytes() {
    return (long) pageData.length;
  }
}
