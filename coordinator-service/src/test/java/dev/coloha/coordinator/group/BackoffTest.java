package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** Retries wait longer after each failure, never beyond the maximum, always with jitter. */
class BackoffTest {

  @RepeatedTest(20)
  void eachFailureDoublesTheWaitUpToTheMaximumWithJitter() {
    Backoff b = new Backoff("test", Duration.ofMillis(100), Duration.ofMillis(800), 2, 0.5);
    long[] values = {100, 200, 400, 800, 1600, 3200};
    for (long value : values) {
      Duration d = b.next();
      // within half of the wait's value either way, and never beyond the maximum
      assertThat(d)
          .isBetween(
              Duration.ofMillis(Math.min(value / 2, 800)),
              Duration.ofMillis(Math.min(value * 3 / 2, 800)));
    }
    assertThat(b.failures()).isEqualTo(values.length);
    assertThat(b.retry().getMetrics().getNumberOfFailedCallsWithRetryAttempt()).isZero();
    assertThat(b.reset()).isBetween(Duration.ofMillis(50), Duration.ofMillis(150));
    assertThat(b.failures()).isZero();
    assertThat(b.retry().getMetrics().getNumberOfSuccessfulCallsWithRetryAttempt()).isOne();
    assertThat(b.next()).isBetween(Duration.ofMillis(50), Duration.ofMillis(150));
  }

  @RepeatedTest(5)
  void theWaitsAreDrawnNotFixed() {
    java.util.Set<Duration> firsts = new java.util.HashSet<>();
    for (int i = 0; i < 20; i++) {
      firsts.add(new Backoff("test", Duration.ofSeconds(1), Duration.ofSeconds(8), 2, 0.5).next());
    }
    assertThat(firsts).hasSizeGreaterThan(1);
  }

  @Test
  void aBaseAboveTheMaximumIsRefused() {
    assertThatThrownBy(
            () -> new Backoff("test", Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 0.5))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
