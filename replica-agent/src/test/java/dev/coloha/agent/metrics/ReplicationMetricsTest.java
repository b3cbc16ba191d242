package dev.coloha.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.spring.Counters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class ReplicationMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ReplicationMetrics metrics = new ReplicationMetrics(registry);

  @Test
  void aPrimaryHasACheckpointCounterAtZeroForEveryResult() {
    metrics.primary("vm-1");

    Counters.assertEachAtZero(
        registry,
        "colo.checkpoints",
        "result",
        ReplicationMetrics.CHECKPOINT_RESULTS,
        "vm",
        "vm-1");
  }

  @Test
  void theFirstTimeoutIsCountedOnTheCounterRegisteredAtZero() {
    metrics.primary("vm-1");

    metrics.checkpoint("vm-1", "timeout");

    assertThat(registry.get("colo.checkpoints").tags("vm", "vm-1", "result", "timeout").counters())
        .singleElement()
        .satisfies(c -> assertThat(c.count()).isEqualTo(1.0));
  }

  @Test
  void aSecondaryHasADiscardCounterAtZeroForEveryReason() {
    metrics.secondary("vm-2");

    Counters.assertEachAtZero(
        registry,
        "colo.checkpoint.discarded",
        "reason",
        ReplicationMetrics.DISCARD_REASONS,
        "vm",
        "vm-2");
    metrics.discarded("vm-2", "torn");
    assertThat(
            Counters.count(registry, "colo.checkpoint.discarded", "vm", "vm-2", "reason", "torn"))
        .isEqualTo(1.0);
  }
}
