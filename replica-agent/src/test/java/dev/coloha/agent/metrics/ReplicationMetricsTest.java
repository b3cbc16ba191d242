package dev.coloha.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class ReplicationMetricsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ReplicationMetrics metrics = new ReplicationMetrics(registry);

  @Test
  void aPrimaryHasACheckpointCounterAtZeroForEveryResult() {
    metrics.primary("vm-1");

    for (String result : ReplicationMetrics.CHECKPOINT_RESULTS) {
      assertThat(
              registry
                  .get("colo.checkpoints")
                  .tags("vm", "vm-1", "result", result)
                  .counter()
                  .count())
          .isZero();
    }
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

    for (String reason : ReplicationMetrics.DISCARD_REASONS) {
      assertThat(
              registry
                  .get("colo.checkpoint.discarded")
                  .tags("vm", "vm-2", "reason", reason)
                  .counter()
                  .count())
          .isZero();
    }
    metrics.discarded("vm-2", "torn");
    assertThat(
            registry
                .get("colo.checkpoint.discarded")
                .tags("vm", "vm-2", "reason", "torn")
                .counter()
                .count())
        .isEqualTo(1.0);
  }
}
