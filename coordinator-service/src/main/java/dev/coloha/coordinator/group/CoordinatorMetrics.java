package dev.coloha.coordinator.group;

import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.remote.AgentClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Prometheus figures of the coordinator: checkpoints by reason, failovers, group states. */
public final class CoordinatorMetrics {
  private final MeterRegistry registry;

  public CoordinatorMetrics(MeterRegistry registry, Supplier<Collection<Group>> groups) {
    this.registry = registry;
    for (GroupState s : GroupState.values()) {
      Gauge.builder(
              "colo.groups", groups, g -> g.get().stream().filter(x -> x.state() == s).count())
          .description("groups by state")
          .tag("state", s.name())
          .strongReference(true) // the supplier is a lambda: held weakly, it would read NaN
          .register(registry);
    }
  }

  /** A checkpoint was committed (decided for {@code reason}). */
  void checkpoint(String group, String reason, long nanos, AgentClient.Checkpoint c) {
    Counter.builder("colo.coordinator.checkpoints")
        .description("checkpoints committed, by the reason they were taken")
        .tags("group", group, "reason", reason)
        .register(registry)
        .increment();
    Timer.builder("colo.coordinator.checkpoint")
        .description("checkpoint decided until committed at the proxy")
        .tags("group", group)
        .publishPercentileHistogram()
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
    Timer.builder("colo.checkpoint.pause")
        .description("the primary VM's pause per checkpoint")
        .tags("group", group)
        .publishPercentileHistogram()
        .register(registry)
        .record((long) (c.pauseMicros() * 1000), TimeUnit.NANOSECONDS);
  }

  void checkpointFailed(String group, String why) {
    Counter.builder("colo.coordinator.checkpoint.failures")
        .description("checkpoint attempts that failed")
        .tags("group", group, "problem", why)
        .register(registry)
        .increment();
  }

  void failover(String group, long nanos) {
    Counter.builder("colo.failovers")
        .description("failovers")
        .tags("group", group)
        .register(registry)
        .increment();
    Timer.builder("colo.failover.duration")
        .description("primary declared lost until the proxy switched to the new primary")
        .tags("group", group)
        .publishPercentileHistogram()
        .register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  void mismatch(String group, String kind) {
    Counter.builder("colo.coordinator.mismatches")
        .description("mismatch and pressure events the proxy reported")
        .tags("group", group, "kind", kind)
        .register(registry)
        .increment();
  }
}
