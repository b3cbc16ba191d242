package dev.coloha.wire.checkpoint;

/**
 * Bounds a reader enforces before allocating anything.
 *
 * @param maxMemoryPages largest memory a checkpoint may describe, in 64 KiB Wasm pages
 * @param maxRunPages largest run of pages in one PAGES frame (also what writers emit)
 * @param maxConnections largest connection table
 * @param maxTimers largest timer table
 * @param maxGlobals largest number of mutable globals
 */
public record CheckpointLimits(
    int maxMemoryPages, int maxRunPages, int maxConnections, int maxTimers, int maxGlobals) {

  public static CheckpointLimits defaults() {
    return new CheckpointLimits(16_384, 256, 1 << 20, 4096, 4096);
  }

  /** Largest ABI-specific guest state in a DEVICE frame (a WASI guest's descriptor table). */
  public int maxGuestStateBytes() {
    return 1 << 20;
  }

  public int maxFramePayload() {
    return Math.max(8 + maxRunPages * Checkpoint.PAGE_SIZE, 64 + maxConnections * 32);
  }
}
