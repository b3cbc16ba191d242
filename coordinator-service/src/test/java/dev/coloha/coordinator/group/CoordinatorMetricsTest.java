package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.GroupState;
import dev.coloha.testkit.spring.Counters;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CoordinatorMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final CoordinatorMetrics metrics = new CoordinatorMetrics(registry, List::of);

  @Test
  void aStartedGroupHasEveryCounterAtZero() {
    metrics.groupStarted("kv", () -> GroupState.CREATING);

    Counters.assertEachAtZero(
        registry,
        "colo.coordinator.checkpoints",
        "reason",
        CoordinatorMetrics.CHECKPOINT_REASONS,
        "group",
        "kv");
    Counters.assertEachAtZero(
        registry,
        "colo.coordinator.checkpoint.failures",
        "problem",
        CoordinatorMetrics.CHECKPOINT_PROBLEMS,
        "group",
        "kv");
    Counters.assertEachAtZero(
        registry,
        "colo.coordinator.mismatches",
        "kind",
        CoordinatorMetrics.MISMATCH_KINDS,
        "group",
        "kv");
    assertThat(Counters.count(registry, "colo.failovers", "group", "kv")).isZero();
  }

  @Test
  void theFailoverTimerIsThereBeforeTheFirstFailoverSoItsQuantilesSeeIt() {
    metrics.groupStarted("kv", () -> GroupState.PROTECTED);
    assertThat(registry.get("colo.failover.duration").tags("group", "kv").timer().count()).isZero();

    metrics.failover("kv", 120_000_000L);

    assertThat(registry.get("colo.failover.duration").tags("group", "kv").timers())
        .singleElement()
        .satisfies(t -> assertThat(t.count()).isEqualTo(1));
  }

  @Test
  void theFirstFailureIncrementsTheCounterRegisteredAtZero() {
    metrics.groupStarted("kv", () -> GroupState.PROTECTED);

    metrics.checkpointFailed("kv", "unreachable");

    assertThat(
            registry
                .get("colo.coordinator.checkpoint.failures")
                .tags("group", "kv", "problem", "unreachable")
                .counters())
        .singleElement()
        .satisfies(c -> assertThat(c.count()).isEqualTo(1.0));
  }

  @Test
  void theStateGaugeReadsOneForTheGroupsCurrentStateOnly() {
    AtomicReference<GroupState> state = new AtomicReference<>(GroupState.SYNCING);
    metrics.groupStarted("kv", state::get);

    assertThat(stateGauge("kv", GroupState.SYNCING)).isEqualTo(1.0);
    assertThat(stateGauge("kv", GroupState.PROTECTED)).isZero();

    state.set(GroupState.PROTECTED);
    assertThat(stateGauge("kv", GroupState.SYNCING)).isZero();
    assertThat(stateGauge("kv", GroupState.PROTECTED)).isEqualTo(1.0);
  }

  @Test
  void aRemovedGroupLeavesNoSeries() {
    metrics.groupStarted("kv", () -> GroupState.PROTECTED);
    metrics.groupStarted("other", () -> GroupState.PROTECTED);
    metrics.failover("kv", 1_000_000);

    metrics.groupRemoved("kv");

    assertThat(registry.getMeters())
        .extracting(Meter::getId)
        .noneMatch(id -> "kv".equals(id.getTag("group")))
        .anyMatch(id -> "other".equals(id.getTag("group")));
  }

  private double stateGauge(String group, GroupState s) {
    return registry.get("colo.group.state").tags("group", group, "state", s.name()).gauge().value();
  }
}
