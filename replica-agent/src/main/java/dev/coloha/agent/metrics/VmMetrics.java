package dev.coloha.agent.metrics;

import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.VmStats;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Prometheus figures of the agent's VMs: events, guest CPU time, memory and dirty pages, and the
 * cost of checkpoint capture and apply.
 */
public final class VmMetrics {
  private final MeterRegistry registry;
  private final Map<String, List<Meter>> perVm = new ConcurrentHashMap<>();

  /** Looked up once per VM: building and registering a meter on every apply costs tens of µs. */
  private final Map<String, Timer> applyTimers = new ConcurrentHashMap<>();

  public VmMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Registers the gauges of one VM, read from its latest figures. */
  public void register(String vm, String guest, Supplier<VmStats> stats) {
    Tags tags = Tags.of("vm", vm, "guest", guest);
    List<Meter> meters = new ArrayList<>();
    meters.add(
        FunctionCounter.builder("colo.vm.events", stats, s -> value(s, VmStats::events))
            .description("guest calls (events) dispatched")
            .tags(tags)
            .register(registry));
    meters.add(
        FunctionCounter.builder(
                "colo.vm.guest.cpu", stats, s -> value(s, v -> v.guestNanos() / 1e9))
            .description("time spent running guest code")
            .baseUnit("seconds")
            .tags(tags)
            .register(registry));
    meters.add(
        gauge(
            "colo.vm.memory.pages",
            "linear memory in 4 KiB pages",
            tags,
            stats,
            VmStats::trackPages));
    meters.add(
        gauge(
            "colo.vm.dirty.pages",
            "4 KiB pages written since the last checkpoint",
            tags,
            stats,
            VmStats::dirtyPages));
    meters.add(
        gauge("colo.vm.connections", "open guest connections", tags, stats, VmStats::connections));
    meters.add(
        gauge(
            "colo.vm.running",
            "1 while the VM dispatches events",
            tags,
            stats,
            s -> s.state() == VmState.RUNNING ? 1 : 0));
    meters.add(
        gauge(
            "colo.vm.crashed",
            "1 if the guest trapped",
            tags,
            stats,
            s -> s.state() == VmState.CRASHED ? 1 : 0));
    perVm.put(vm, meters);
  }

  private Gauge gauge(
      String name,
      String description,
      Tags tags,
      Supplier<VmStats> stats,
      ToDoubleFunction<VmStats> f) {
    return Gauge.builder(name, stats, s -> value(s, f))
        .description(description)
        .tags(tags)
        .strongReference(true) // a method reference, held weakly it would read NaN after a GC
        .register(registry);
  }

  private static double value(Supplier<VmStats> stats, ToDoubleFunction<VmStats> f) {
    VmStats s = stats.get();
    return s == null ? 0 : f.applyAsDouble(s);
  }

  public void unregister(String vm) {
    applyTimers.remove(vm);
    List<Meter> meters = perVm.remove(vm);
    if (meters != null) {
      meters.forEach(registry::remove);
    }
  }

  /** A checkpoint was captured: the VM paused for {@code pauseNanos}, carrying {@code pages}. */
  public void captured(String vm, long pauseNanos, int pages) {
    Timer.builder("colo.checkpoint.capture")
        .description("VM pause to capture a checkpoint (copy of dirty pages, globals, devices)")
        .tags("vm", vm)
        .publishPercentileHistogram()
        .register(registry)
        .record(pauseNanos, TimeUnit.NANOSECONDS);
    DistributionSummary.builder("colo.checkpoint.pages")
        .description("4 KiB pages per checkpoint")
        .tags("vm", vm)
        .register(registry)
        .record(pages);
  }

  /** A checkpoint was applied: the VM paused for {@code nanos}. */
  public void applied(String vm, long nanos) {
    applyTimers
        .computeIfAbsent(
            vm,
            v ->
                Timer.builder("colo.checkpoint.apply")
                    .description("VM pause to apply a checkpoint")
                    .tags("vm", v)
                    .publishPercentileHistogram()
                    .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }
}
