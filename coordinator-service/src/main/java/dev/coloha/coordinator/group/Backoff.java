package dev.coloha.coordinator.group;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;

/**
 * The waits between the attempts of a step a group's worker tries again until it works (a
 * re-protection, giving a proxy its group back): a Resilience4j {@link Retry} with an exponential
 * random backoff ({@link IntervalFunction#ofExponentialRandomBackoff}), each failure multiplying
 * the wait up to a maximum, every wait drawn within the jitter of it, so that retries neither
 * hammer a service that is still coming up nor move in lock-step with other groups' retries.
 *
 * <p>The worker does not block on it ({@link Retry#asyncContext()}): it is told the wait, schedules
 * the next attempt and goes on taking checkpoints and watching heartbeats meanwhile.
 */
final class Backoff {
  private static final RuntimeException FAILED = new RuntimeException("attempt failed");

  private final Retry retry;
  private Retry.AsyncContext<Void> attempts;
  private int failures;

  /**
   * @param name the retry's name (its events and metrics carry it)
   * @param base the first wait
   * @param max the longest wait
   * @param multiplier each wait is this many times the one before (at least 1)
   * @param jitter a wait is drawn within this fraction of its value (0 to below 1)
   */
  Backoff(String name, Duration base, Duration max, double multiplier, double jitter) {
    if (base.toMillis() < 1 || max.compareTo(base) < 0) {
      throw new IllegalArgumentException(
          "backoff needs 1 ms <= base <= max, not " + base + ", " + max);
    }
    this.retry =
        Retry.of(
            name,
            RetryConfig.custom()
                .maxAttempts(Integer.MAX_VALUE) // until it works: the worker decides when to stop
                .intervalFunction(
                    IntervalFunction.ofExponentialRandomBackoff(base, multiplier, jitter, max))
                .build());
    this.attempts = retry.asyncContext();
  }

  /** The wait after one more failure. */
  Duration next() {
    failures++;
    return Duration.ofMillis(attempts.onError(FAILED));
  }

  /** Success: the next wait starts from the base again (returned, jittered). */
  Duration reset() {
    attempts.onComplete();
    attempts = retry.asyncContext();
    failures = 0;
    return Duration.ofMillis(retry.getRetryConfig().getIntervalBiFunction().apply(1, null));
  }

  /** Consecutive failures since the last success. */
  int failures() {
    return failures;
  }

  Retry retry() {
    return retry;
  }
}
