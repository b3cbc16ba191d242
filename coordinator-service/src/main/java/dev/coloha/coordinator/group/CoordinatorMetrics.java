package dev.coloha.coordinator.group;

import dev.coloha.api.agent.CheckpointResult;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Prometheus figures of the coordinator: checkpoints by reason, failovers, group states. A group's
 * counters are registered at zero for every reason, problem and kind when its worker starts, and
 * its failover timer empty, so that an alert on {@code rate()} or {@code increase()} and a quantile
 * of the failover duration see the first event too.
 */
public final class CoordinatorMetrics {
  /** Why a checkpoint is taken: the policy's interval, the API, a policy change, the proxy. */
  static final List<String> CHECKPOINT_REASONS =
      List.of("interval", "manual", "policy", "content", "timeout", "close", "pressure", "proxy");

  /** How a checkpoint attempt fails: no answer, a local error, or the agent's problem slug. */
  static final List<String> CHECKPOINT_PROBLEMS =
      List.of(
          "unreachable",
          "error",
          "timeout",
          "unavailable",
          "vm-state",
          "not-primary",
          "stale-epoch",
          "checkpoint-mismatch",
          "guest-trap");

  /** What the proxy reported: a mismatch by kind, buffer pressure, or an event of no known kind. */
  static final List<String> MISMATCH_KINDS =
      List.of("content", "timeout", "close", "pressure", "unknown");

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

  /**
   * A group's worker started (created or resumed): its per-group meters appear now, the counters at
   * zero, and {@code colo_group_state} reads 1 for the state it is in.
   */
  void groupStarted(String group, Supplier<GroupState> state) {
    for (GroupState s : GroupState.values()) {
      Gauge.builder("colo.group.state", state, st -> st.get() == s ? 1 : 0)
          .description("1 for the state the group is in, 0 for the others")
          .tags("group", group, "state", s.name())
          .strongReference(true)
          .register(registry);
    }
    CHECKPOINT_REASONS.forEach(reason -> checkpoints(group, reason));
    CHECKPOINT_PROBLEMS.forEach(problem -> checkpointFailures(group, problem));
    MISMATCH_KINDS.forEach(kind -> mismatches(group, kind));
    failovers(group);
    failoverDuration(group);
  }

  /** A group was deleted: its per-group meters go away. */
  void groupRemoved(String group) {
    for (Meter m : List.copyOf(registry.getMeters())) {
      if (group.equals(m.getId().getTag("group")) && m.getId().getName().startsWith("colo.")) {
        registry.remove(m);
      }
    }
  }

  private Counter checkpoints(String group, String reason) {
    return Counter.builder("colo.coordinator.checkpoints")
        .description("checkpoints committed, by the reason they were taken")
        .tags("group", group, "reason", reason)
        .register(registry);
  }

  private Counter checkpointFailures(String group, String problem) {
    return Counter.builder("colo.coordinator.checkpoint.failures")
        .description("checkpoint attempts that failed")
        .tags("group", group, "problem", problem)
        .register(registry);
  }

  private Counter mismatches(String group, String kind) {
    return Counter.builder("colo.coordinator.mismatches")
        .description("mismatch and pressure events the proxy reported")
        .tags("group", group, "kind", kind)
        .register(registry);
  }

  private Counter failovers(String group) {
    return Counter.builder("colo.failovers")
        .description("failovers")
        .tags("group", group)
        .register(registry);
  }

  /** A checkpoint was committed (decided for {@code reason}). */
  void checkpoint(String group, String reason, long nanos, CheckpointResult c) {
    checkpoints(group, reason).increment();
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
    checkpointFailures(group, why).increment();
  }

  private Timer failoverDuration(String group) {
    return Timer.builder("colo.failover.duration")
        .description("primary declared lost until the proxy switched to the new primary")
        .tags("group", group)
        .publishPercentileHistogram()
        .register(registry);
  }

  void failover(String group, long nanos) {
    failovers(group).increment();
    failoverDuration(group).record(nanos, TimeUnit.NANOSECONDS);
  }

  void mismatch(String group, String kind) {
    mismatches(group, kind).increment();
  }
}
