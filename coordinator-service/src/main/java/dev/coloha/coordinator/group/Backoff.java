package dev.coloha.coordinator.group;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter for a step that is tried again until it works (a re-protection,
 * giving a proxy its group back): each failure doubles the wait up to a maximum, and every wait is
 * drawn between half and all of it, so that retries neither hammer a service that is still coming
 * up nor move in lock-step with other groups' retries.
 */
final class Backoff {
  private final Duration base;
  private final Duration max;
  private int failures;

  Backoff(Duration base, Duration max) {
    if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
      throw new IllegalArgumentException("backoff needs 0 < base <= max, not " + base + ", " + max);
    }
    this.base = base;
    this.max = max;
  }

  /** The wait after one more failure. */
  Duration next() {
    Duration d = base;
    for (int i = 0; i < failures && d.compareTo(max) < 0; i++) {
      d = d.multipliedBy(2);
    }
    failures++;
    return jittered(d.compareTo(max) > 0 ? max : d);
  }

  /** Success: the next wait starts from the base again (returned, jittered). */
  Duration reset() {
    failures = 0;
    return jittered(base);
  }

  /** Consecutive failures since the last success. */
  int failures() {
    return failures;
  }

  private static Duration jittered(Duration d) {
    long nanos = d.toNanos();
    return Duration.ofNanos(nanos / 2 + ThreadLocalRandom.current().nextLong(nanos / 2 + 1));
  }
}
