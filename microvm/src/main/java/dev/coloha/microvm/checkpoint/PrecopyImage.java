package dev.coloha.microvm.checkpoint;

import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.checkpoint.Checkpoint;
import dev.coloha.wire.checkpoint.CheckpointHeader;
import java.util.Arrays;

/**
 * A secondary's staging image during a live initial sync: pages copied while the primary ran, later
 * rounds overwriting pages written meanwhile. The final round (a checkpoint with base {@link
 * CheckpointHeader#PRECOPY_BASE}) completes it into a full checkpoint. Nothing reaches the VM
 * before that.
 */
public final class PrecopyImage {
  private final int maxWasmPages;
  private byte[] bytes = new byte[0];
  private int wasmPages;
  private long pagesReceived;

  public PrecopyImage(int maxWasmPages) {
    this.maxWasmPages = maxWasmPages;
  }

  /** Stores a run of pages read when memory had {@code memoryPages} 64 KiB pages. */
  public void put(int memoryPages, int firstPage, int count, byte[] data, int offset) {
    if (memoryPages > maxWasmPages) {
      throw new CorruptStreamException(
          "pre-copy of a memory of " + memoryPages + " pages, limit " + maxWasmPages);
    }
    grow(memoryPages);
    System.arraycopy(
        data, offset, bytes, firstPage * Checkpoint.PAGE_SIZE, count * Checkpoint.PAGE_SIZE);
    pagesReceived += count;
  }

  private void grow(int memoryPages) {
    if (memoryPages > wasmPages) {
      bytes = Arrays.copyOf(bytes, memoryPages * 65536);
      wasmPages = memoryPages;
    }
  }

  public long pagesReceived() {
    return pagesReceived;
  }

  /**
   * Applies the final round and returns the whole memory as a full checkpoint with the final
   * round's identity, globals and device state.
   */
  public Checkpoint complete(Checkpoint last) {
    if (last.header().baseSequence() != CheckpointHeader.PRECOPY_BASE) {
      throw new IllegalArgumentException("not the final round of a pre-copy");
    }
    int pages = last.header().memoryPages();
    if (pages > maxWasmPages) {
      throw new CorruptStreamException(
          "final round describes " + pages + " pages, limit " + maxWasmPages);
    }
    grow(pages);
    byte[] image = pages == wasmPages ? bytes : Arrays.copyOf(bytes, pages * 65536);
    int[] idx = last.pageIndices();
    for (int i = 0; i < idx.length; i++) {
      System.arraycopy(
          last.pageData(),
          i * Checkpoint.PAGE_SIZE,
          image,
          idx[i] * Checkpoint.PAGE_SIZE,
          Checkpoint.PAGE_SIZE);
    }
    int total = pages * Checkpoint.PAGES_PER_WASM_PAGE;
    int[] all = new int[total];
    for (int p = 0; p < total; p++) {
      all[p] = p;
    }
    CheckpointHeader h = last.header();
    CheckpointHeader full =
        new CheckpointHeader(
            h.guest(),
            h.moduleHash(),
            h.epoch(),
            h.sequence(),
            CheckpointHeader.NO_BASE,
            pages,
            total);
    bytes = new byte[0];
    wasmPages = 0;
    return new Checkpoint(full, all, image, last.globals(), last.device());
  }
}
