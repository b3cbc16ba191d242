package dev.coloha.microvm;

import java.util.function.Consumer;

/**
 * Limits and knobs of one micro-VM. Every limit is named in the agent's configuration
 * (docs/configuration.md).
 *
 * @param memoryLimitBytes cap on linear memory (rounded down to 64 KiB pages)
 * @param maxDataChunk largest single colo_on_data delivery
 * @param maxTimers armed timers per VM
 * @param maxDiskRequest largest single disk read or write
 * @param maxLogLine longer guest log lines are cut
 * @param maxConnections open connections per VM
 * @param maxDeadConnections connection ids remembered as closed by a primary checkpoint
 * @param threadStackBytes stack of the VM's thread (deep guest recursion needs JVM stack)
 * @param dirtyTracking record dirty pages (off only for benchmarks measuring its cost)
 * @param maxInetdQueue connections an inetd program's VM keeps waiting for their turn; later ones
 *     are closed unanswered
 */
public record VmConfig(
    long memoryLimitBytes,
    int maxDataChunk,
    int maxTimers,
    int maxDiskRequest,
    int maxLogLine,
    int maxConnections,
    int maxDeadConnections,
    long threadStackBytes,
    boolean dirtyTracking,
    int maxInetdQueue) {

  public VmConfig {
    if (memoryLimitBytes < 65536) {
      throw new IllegalArgumentException("memory limit must be at least one 64 KiB page");
    }
    if (maxDataChunk < 1
        || maxTimers < 0
        || maxDiskRequest < 512
        || maxConnections < 1
        || maxInetdQueue < 0) {
      throw new IllegalArgumentException("invalid VM limits");
    }
  }

  public static VmConfig defaults() {
    return new VmConfig(
        64L << 20, 16 << 10, 64, 1 << 20, 1024, 10_000, 65_536, 16L << 20, true, 256);
  }

  public VmConfig withMemoryLimit(long bytes) {
    return edit(d -> d.memoryLimitBytes = bytes);
  }

  public VmConfig withDirtyTracking(boolean on) {
    return edit(d -> d.dirtyTracking = on);
  }

  public VmConfig withMaxInetdQueue(int connections) {
    return edit(d -> d.maxInetdQueue = connections);
  }

  public int memoryLimitPages() {
    return (int) Math.min(65536, memoryLimitBytes / 65536);
  }

  /**
   * This configuration with {@code change} made to a draft of it: the one place that copies every
   * field, so that each wither names only what it changes.
   */
  private VmConfig edit(Consumer<Draft> change) {
    Draft d = new Draft();
    change.accept(d);
    return d.config();
  }

  /** A configuration's fields, open to change while a wither builds the next value. */
  private final class Draft {
    long memoryLimitBytes = VmConfig.this.memoryLimitBytes;
    int maxDataChunk = VmConfig.this.maxDataChunk;
    int maxTimers = VmConfig.this.maxTimers;
    int maxDiskRequest = VmConfig.this.maxDiskRequest;
    int maxLogLine = VmConfig.this.maxLogLine;
    int maxConnections = VmConfig.this.maxConnections;
    int maxDeadConnections = VmConfig.this.maxDeadConnections;
    long threadStackBytes = VmConfig.this.threadStackBytes;
    boolean dirtyTracking = VmConfig.this.dirtyTracking;
    int maxInetdQueue = VmConfig.this.maxInetdQueue;

    VmConfig config() {
      return new VmConfig(
          memoryLimitBytes,
          maxDataChunk,
          maxTimers,
          maxDiskRequest,
          maxLogLine,
          maxConnections,
          maxDeadConnections,
          threadStackBytes,
          dirtyTracking,
          maxInetdQueue);
    }
  }
}
