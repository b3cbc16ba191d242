package dev.coloha.agent.vm;

import dev.coloha.microvm.device.FlushPolicy;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the agent's VMs are run with, in the domain's units (bytes, counts, durations): mapped from
 * {@code colo.agent.*} and checked once at start-up ({@code AgentProperties.vmSettings()}); the
 * meaning of each is in docs/configuration.md.
 *
 * @param dataDir where disk images and checkpoint files live
 */
public record VmSettings(Path dataDir, Vm vm, Stream stream, Standalone standalone, Mirror mirror) {

  /** Per-VM limits and defaults ({@code colo.agent.vm.*}). */
  public record Vm(
      int maxVms,
      long defaultMemory,
      long maxMemory,
      long defaultDisk,
      long maxDisk,
      long maxDataChunk,
      int maxTimers,
      long maxDiskRequest,
      long maxLogLine,
      int maxConnections,
      int maxDeadConnections,
      long threadStack,
      FlushPolicy diskFlushPolicy,
      Duration diskFlushInterval,
      Duration operationTimeout,
      int maxInetdQueue) {}

  /** The input and output streams to the proxy ({@code colo.agent.stream.*}). */
  public record Stream(
      long outputHighWatermark,
      long outputLowWatermark,
      long inputHighWatermark,
      Duration heartbeatInterval,
      long maxFrame,
      long outputRetention) {}

  /** Standalone network mode ({@code colo.agent.standalone.*}). */
  public record Standalone(
      String bindAddress,
      long outputHighWatermark,
      long outputLowWatermark,
      long inputHighWatermark,
      long readBuffer) {}

  /** Block streams to the disk mirror ({@code colo.agent.mirror.*}). */
  public record Mirror(
      Duration connectTimeout,
      Duration requestTimeout,
      Duration heartbeatInterval,
      Duration streamTimeout,
      Path localSocket,
      int maxQueuedWrites,
      long maxQueuedBytes,
      Duration writeHoldTime,
      long writeHoldBytes,
      long secondaryHoldBytes,
      Duration replyPoll) {}
}
