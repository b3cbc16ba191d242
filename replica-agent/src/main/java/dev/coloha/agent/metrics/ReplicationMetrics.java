package dev.coloha.agent.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/** Prometheus figures of checkpoint replication between agents. */
public final class ReplicationMetrics {
  private final MeterRegistry registry;

  public ReplicationMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** A checkpoint request ended: {@code result} is ok, timeout, unavailable, error. */
  public void checkpoint(String vm, String result) {
    Counter.builder("colo.checkpoints")
        .description("checkpoints requested of a primary, by result")
        .tags("vm", vm, "result", result)
        .register(registry)
        .increment();
  }

  /** Transfer (end of pause to acknowledgement) and request-to-acknowledgement latencies. */
  public void transferred(String vm, long transferNanos, long totalNanos, long bytes) {
    Timer.builder("colo.checkpoint.transfer")
        .description("end of the primary's pause until the secondary acknowledged")
        .tags("vm", vm)
        .publishPercentileHistogram()
        .register(registry)
        .record(transferNanos, TimeUnit.NANOSECONDS);
    Timer.builder("colo.checkpoint.latency")
        .description("checkpoint request until acknowledged")
        .tags("vm", vm)
        .publishPercentileHistogram()
        .register(registry)
        .record(totalNanos, TimeUnit.NANOSECONDS);
    DistributionSummary.builder("colo.checkpoint.bytes")
        .description("bytes per checkpoint on the wire")
        .baseUnit("bytes")
        .tags("vm", vm)
        .register(registry)
        .record(bytes);
  }

  /** A secondary discarded a checkpoint whole. */
  public void discarded(String vm, String reason) {
    Counter.builder("colo.checkpoint.discarded")
        .description("checkpoints a secondary discarded whole (torn, corrupt, out of chain)")
        .tags("vm", vm, "reason", reason)
        .register(registry)
        .increment();
  }

  /** A live initial sync completed. */
  public void synced(String vm, long nanos, int rounds, long precopyPages) {
    Timer.builder("colo.replication.sync")
        .description("live initial sync duration")
        .tags("vm", vm)
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
    Counter.builder("colo.replication.precopy.pages")
        .description("pages sent while the primary ran (pre-copy)")
        .tags("vm", vm)
        .register(registry)
        .increment(precopyPages);
    DistributionSummary.builder("colo.replication.precopy.rounds")
        .description("pre-copy rounds per initial sync")
        .tags("vm", vm)
        .register(registry)
        .record(rounds);
  }
}
