package dev.coloha.mirror.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The replica stream's reconnection waits: doubling, jittered, capped (docs/disk-mirror.md). */
class ForwarderReconnectTest {
  private final IntervalFunction waits =
      Forwarder.reconnectWaits(Duration.ofMillis(100), Duration.ofSeconds(2));

  @Test
  void theWaitDoublesFromTheFirstWithinHalfOfItEitherWay() {
    for (int i = 0; i < 200; i++) {
      assertThat(waits.apply(1)).isBetween(50L, 150L);
      assertThat(waits.apply(2)).isBetween(100L, 300L);
      assertThat(waits.apply(4)).isBetween(400L, 1200L);
    }
  }

  @Test
  void theWaitNeverExceedsTheMaximum() {
    for (int attempt = 1; attempt < 100; attempt++) {
      assertThat(waits.apply(attempt)).isBetween(50L, 2000L);
    }
    // far along, the wait is the maximum's (the doubling would be far above it)
    assertThat(waits.apply(50)).isEqualTo(2000L);
  }

  @Test
  void reconnectingForwardersDoNotWaitInLockstep() {
    Set<Long> firstWaits = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      firstWaits.add(waits.apply(1));
    }
    assertThat(firstWaits).hasSizeGreaterThan(10);
  }
}
