package dev.coloha.microvm.checkpoint;

import dev.coloha.microvm.memory.PageCopier;
import dev.coloha.microvm.memory.TrackedMemory;
import dev.coloha.wire.checkpoint.Checkpoint;
import java.util.Arrays;

/**
 * A secondary's copy of the primary's memory as of the last applied checkpoint (QEMU COLO's "memory
 * cache"). Applying checkpoint N updates the cache with N's pages, then restores into the running
 * VM every page that either the primary or the secondary dirtied since N-1: pages the secondary
 * wrote on its own must go back to the primary's version too.
 */
public final class MemoryCache {
  private byte[] bytes;
  private int wasmPages;
  private long sequence;

  private MemoryCache(int wasmPages) {
    this.wasmPages = wasmPages;
    this.bytes = new byte[wasmPages * TrackedMemory.PAGE_SIZE];
  }

  /** A cache built from a full checkpoint. */
  public static MemoryCache of(Checkpoint full) {
    if (!full.header().full()) {
      throw new IllegalArgumentException("a memory cache starts from a full checkpoint");
    }
    MemoryCache cache = new MemoryCache(full.header().memoryPages());
    cache.update(full);
    return cache;
  }

  public long sequence() {
    return sequence;
  }

  public int wasmPages() {
    return wasmPages;
  }

  /** Grows or shrinks the cache to {@code pages} 64 KiB pages (zeros when it grows). */
  public void resize(int pages) {
    if (pages != wasmPages) {
      bytes = Arrays.copyOf(bytes, pages * TrackedMemory.PAGE_SIZE);
      wasmPages = pages;
    }
  }

  /** Writes the checkpoint's pages into the cache and adopts its memory size and sequence. */
  public void update(Checkpoint cp) {
    resize(cp.header().memoryPages());
    int[] idx = cp.pageIndices();
    byte[] data = cp.pageData();
    for (int i = 0; i < idx.length; i++) {
      System.arraycopy(
          data,
          i * Checkpoint.PAGE_SIZE,
          bytes,
          idx[i] * Checkpoint.PAGE_SIZE,
          Checkpoint.PAGE_SIZE);
    }
    sequence = cp.header().sequence();
  }

  /**
   * A delta checkpoint in one pass: each of its pages goes into the cache and into {@code memory}
   * (whose size must already be the checkpoint's) while it is hot in the CPU cache, in slices on
   * several threads for a large checkpoint ({@link PageCopier}). The same result as {@link #update}
   * followed by {@link #restore} of each of the checkpoint's pages.
   */
  public void updateAndRestore(Checkpoint cp, TrackedMemory memory) {
    resize(cp.header().memoryPages());
    int[] idx = cp.pageIndices();
    byte[] data = cp.pageData();
    byte[] cache = bytes;
    PageCopier.shared()
        .forEachSlice(
            idx.length,
            (from, to) -> {
              for (int i = from; i < to; i++) {
                int src = i * Checkpoint.PAGE_SIZE;
                System.arraycopy(
                    data, src, cache, idx[i] * Checkpoint.PAGE_SIZE, Checkpoint.PAGE_SIZE);
                memory.restorePage(idx[i], data, src);
              }
            });
    sequence = cp.header().sequence();
  }

  /**
   * Writes a checkpoint's pages into {@code memory} (whose size must already be the checkpoint's),
   * in slices on several threads for a large checkpoint, leaving any cache alone.
   */
  public static void restore(Checkpoint cp, TrackedMemory memory) {
    int[] idx = cp.pageIndices();
    byte[] data = cp.pageData();
    PageCopier.shared()
        .forEachSlice(
            idx.length,
            (from, to) -> {
              for (int i = from; i < to; i++) {
                memory.restorePage(idx[i], data, i * Checkpoint.PAGE_SIZE);
              }
            });
  }

  /** Restores one 4 KiB page of {@code memory} from the cache. */
  public void restore(int page, TrackedMemory memory) {
    memory.restorePage(page, bytes, page * Checkpoint.PAGE_SIZE);
  }

  /** Restores every page of {@code memory} from the cache. */
  public void restoreAll(TrackedMemory memory) {
    int pages = wasmPages * TrackedMemory.TRACK_PAGES_PER_WASM_PAGE;
    for (int p = 0; p < pages; p++) {
      restore(p, memory);
    }
  }

  /** The cached bytes (tests and hashing). */
  public byte[] bytes() {
    return bytes;
  }
}
