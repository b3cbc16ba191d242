package dev.coloha.microvm;

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
    return new VmConfig(
        bytes,
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

  public VmConfig withDirtyTracking(boolean on) {
    return new VmConfig(
        memoryLimitBytes,
        maxDataChunk,
        maxTimers,
        maxDiskRequest,
        maxLogLine,
        maxConnections,
        maxDeadConnections,
        threadStackBytes,
        on,
        maxInetdQueue);
  }

  public VmConfig withMaxInetdQueue(int connections) {
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
        connections);
  }

  public int memoryLimitPages() {
    return (int) Math.min(65536, memoryLimitBytes / 65536);
  }
}
