package dev.coloha.proxy.metrics;

import dev.coloha.proxy.compare.MismatchKind;
import dev.coloha.proxy.compare.OutputComparator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * A group's Prometheus metrics ({@code colo_proxy_*}, tag {@code group}): compared, released and
 * held bytes, output hold delay, mismatches by kind, open connections, backpressure time, commits,
 * failovers, resets and broken streams. Removed with the group.
 */
public final class GroupMetrics implements AutoCloseable {
  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  private final Timer holdDelay;
  private final Timer backpressure;
  private final Map<MismatchKind, Counter> mismatches = new EnumMap<>(MismatchKind.class);
  private final Counter commits;
  private final Counter failovers;
  private final Counter resets;
  private final Counter connections;
  private final Counter streamBreaks;
  private final Counter slowClients;
  private final Counter selfCheckpoints;
  private final Counter selfCheckpointFailures;

  public GroupMetrics(
      MeterRegistry registry,
      String group,
      OutputComparator comparator,
      Supplier<Number> openConnections,
      Supplier<Number> retainedInput) {
    this.registry = registry;
    Tags tags = Tags.of("group", group);
    counter(
        "colo.proxy.compared.bytes",
        "Output bytes both replicas produced identically (compared and found equal)",
        tags,
        comparator,
        c -> c.stats().compared());
    counter(
        "colo.proxy.released.bytes",
        "Output bytes released to clients, by why",
        tags.and("reason", "matched"),
        comparator,
        c -> c.stats().releasedMatched());
    counter(
        "colo.proxy.released.bytes",
        "Output bytes released to clients, by why",
        tags.and("reason", "committed"),
        comparator,
        c -> c.stats().releasedCommitted());
    counter(
        "colo.proxy.released.bytes",
        "Output bytes released to clients, by why",
        tags.and("reason", "single"),
        comparator,
        c -> c.stats().releasedSingle());
    counter(
        "colo.proxy.secondary.dropped.bytes",
        "Secondary output bytes dropped (intervals a commit replaced, or after a mismatch)",
        tags,
        comparator,
        c -> c.stats().droppedSecondary());
    meters.add(
        Gauge.builder("colo.proxy.held.bytes", comparator, c -> c.stats().heldPrimary())
            .description("Primary output held: waiting for comparison or for a commit")
            .baseUnit("bytes")
            .tags(tags.and("replica", "primary"))
            .register(registry));
    meters.add(
        Gauge.builder("colo.proxy.held.bytes", comparator, c -> c.stats().heldSecondary())
            .description("Secondary output kept for comparison (or for a failover)")
            .baseUnit("bytes")
            .tags(tags.and("replica", "secondary"))
            .register(registry));
    meters.add(
        Gauge.builder("colo.proxy.connections.open", openConnections)
            .description("Client connections open")
            .tags(tags)
            .register(registry));
    meters.add(
        Gauge.builder("colo.proxy.retained.input.bytes", retainedInput)
            .description("Client input kept since the last commit (for a secondary attached later)")
            .baseUnit("bytes")
            .tags(tags)
            .register(registry));
    meters.add(
        Gauge.builder("colo.proxy.committed.sequence", comparator, c -> c.stats().committed())
            .description("Last committed checkpoint")
            .tags(tags)
            .register(registry));
    holdDelay =
        add(
            Timer.builder("colo.proxy.hold.delay")
                .description("Time from a primary output byte's arrival to its release")
                .tags(tags)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(1_000))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry));
    backpressure =
        add(
            Timer.builder("colo.proxy.backpressure")
                .description("Time client readers spent paused (TCP backpressure)")
                .tags(tags)
                .register(registry));
    for (MismatchKind k : MismatchKind.values()) {
      mismatches.put(
          k,
          add(
              Counter.builder("colo.proxy.mismatches")
                  .description("Mismatches found, by kind")
                  .tags(tags.and("kind", k.name()))
                  .register(registry)));
    }
    commits =
        add(
            Counter.builder("colo.proxy.commits")
                .description("Checkpoint commits applied (held output released up to them)")
                .tags(tags)
                .register(registry));
    failovers =
        add(
            Counter.builder("colo.proxy.failovers")
                .description("Switches to a new primary (or to one replica) in a new epoch")
                .tags(tags)
                .register(registry));
    resets =
        add(
            Counter.builder("colo.proxy.connections.reset")
                .description("Client connections reset because they could not continue")
                .tags(tags)
                .register(registry));
    connections =
        add(
            Counter.builder("colo.proxy.connections")
                .description("Client connections accepted")
                .tags(tags)
                .register(registry));
    streamBreaks =
        add(
            Counter.builder("colo.proxy.stream.breaks")
                .description("Agent streams that broke")
                .tags(tags)
                .register(registry));
    slowClients =
        add(
            Counter.builder("colo.proxy.connections.slow")
                .description(
                    "Client connections closed as idle, without a first reply in time, or as the"
                        + " oldest of too many waiting for a first reply")
                .tags(tags)
                .register(registry));
    selfCheckpoints =
        add(
            Counter.builder("colo.proxy.self.checkpoints")
                .description(
                    "Checkpoints the proxy asked of the primary itself (no coordinator decided one"
                        + " in time), by outcome")
                .tags(tags.and("outcome", "committed"))
                .register(registry));
    selfCheckpointFailures =
        add(
            Counter.builder("colo.proxy.self.checkpoints")
                .description(
                    "Checkpoints the proxy asked of the primary itself (no coordinator decided one"
                        + " in time), by outcome")
                .tags(tags.and("outcome", "failed"))
                .register(registry));
  }

  public void selfCheckpoint(boolean committed) {
    (committed ? selfCheckpoints : selfCheckpointFailures).increment();
  }

  public void slowClient() {
    slowClients.increment();
  }

  private void counter(
      String name,
      String description,
      Tags tags,
      OutputComparator c,
      ToDoubleFunction<OutputComparator> f) {
    meters.add(
        FunctionCounter.builder(name, c, f)
            .description(description)
            .baseUnit("bytes")
            .tags(tags)
            .register(registry));
  }

  private <M extends Meter> M add(M m) {
    meters.add(m);
    return m;
  }

  public void holdDelay(long nanos) {
    holdDelay.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void backpressure(long nanos) {
    backpressure.record(nanos, TimeUnit.NANOSECONDS);
  }

  public void mismatch(MismatchKind kind) {
    mismatches.get(kind).increment();
  }

  public void commit() {
    commits.increment();
  }

  public void failover() {
    failovers.increment();
  }

  public void reset() {
    resets.increment();
  }

  public void connection() {
    connections.increment();
  }

  public void streamBroken() {
    streamBreaks.increment();
  }

  @Override
  public void close() {
    for (Meter m : meters) {
      registry.remove(m);
    }
  }
}
