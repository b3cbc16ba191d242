package dev.coloha.agent.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Prometheus figures of checkpoint replication between agents. */
public final class ReplicationMetrics {
  private final MeterRegistry registry;

  /**
   * The per-checkpoint meters, looked up once per VM (and result): building and registering a meter
   * on every checkpoint costs tens of µs.
   */
  private final Map<String, Counter> results = new ConcurrentHashMap<>();

  private final Map<String, Transfer> transfers = new ConcurrentHashMap<>();

  private record Transfer(Timer transfer, Timer latency, DistributionSummary bytes) {}

  public ReplicationMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** What a checkpoint request of a primary ends with. */
  static final List<String> CHECKPOINT_RESULTS = List.of("ok", "timeout", "unavailable");

  /** Why a secondary discards a checkpoint whole. */
  static final List<String> DISCARD_REASONS =
      List.of("corrupt", "torn", "out-of-chain", "promoted", "superseded");

  /**
   * A VM became a primary: its checkpoint counters appear at zero for every result, so an alert on
   * {@code rate()} sees the first failure too.
   */
  public void primary(String vm) {
    CHECKPOINT_RESULTS.forEach(result -> result(vm, result));
  }

  /** A VM became a secondary: its discard counters appear at zero for every reason. */
  public void secondary(String vm) {
    DISCARD_REASONS.forEach(reason -> discardedCounter(vm, reason));
  }

  private Counter result(String vm, String result) {
    return results.computeIfAbsent(
        vm + '\0' + result,
        k ->
            Counter.builder("colo.checkpoints")
                .description("checkpoints requested of a primary, by result")
                .tags("vm", vm, "result", result)
                .register(registry));
  }

  private Counter discardedCounter(String vm, String reason) {
    return Counter.builder("colo.checkpoint.discarded")
        .description("checkpoints a secondary discarded whole (torn, corrupt, out of chain)")
        .tags("vm", vm, "reason", reason)
        .register(registry);
  }

  /** A checkpoint request ended: {@code result} is ok, timeout or unavailable. */
  public void checkpoint(String vm, String result) {
    result(vm, result).increment();
  }

  /** Transfer (end of pause to acknowledgement) and request-to-acknowledgement latencies. */
  public void transferred(String vm, long transferNanos, long totalNanos, long bytes) {
    Transfer t = transfers.computeIfAbsent(vm, this::transfer);
    t.transfer().record(transferNanos, TimeUnit.NANOSECONDS);
    t.latency().record(totalNanos, TimeUnit.NANOSECONDS);
    t.bytes().record(bytes);
  }

  private Transfer transfer(String vm) {
    return new Transfer(
        Timer.builder("colo.checkpoint.transfer")
            .description("end of the primary's pause until the secondary acknowledged")
            .tags("vm", vm)
            .publishPercentileHistogram()
            .register(registry),
        Timer.builder("colo.checkpoint.latency")
            .description("checkpoint request until acknowledged")
            .tags("vm", vm)
            .publishPercentileHistogram()
            .register(registry),
        DistributionSummary.builder("colo.checkpoint.bytes")
            .description("bytes per checkpoint on the wire")
            .baseUnit("bytes")
            .tags("vm", vm)
            .register(registry));
  }

  /** A secondary discarded a checkpoint whole. */
  public void discarded(String vm, String reason) {
    discardedCounter(vm, reason).increment();
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
