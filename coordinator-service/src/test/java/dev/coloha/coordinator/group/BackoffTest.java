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
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(800));
    long[] ceilings = {100, 200, 400, 800, 800, 800};
    for (long ceiling : ceilings) {
      Duration d = b.next();
      assertThat(d).isBetween(Duration.ofMillis(ceiling / 2), Duration.ofMillis(ceiling));
    }
    assertThat(b.failures()).isEqualTo(ceilings.length);
    assertThat(b.reset()).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
    assertThat(b.failures()).isZero();
    assertThat(b.next()).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
  }

  @Test
  void aBaseAboveTheMaximumIsRefused() {
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
