package dev.coloha.coordinator.config;

import java.time.Duration;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How a group's worker spaces the attempts of a step it tries again until it works ({@code
 * colo.coordinator.retry.*}): a re-protection (from {@code reprotect-delay}) and giving a proxy its
 * group back. Each failure multiplies the wait by {@code multiplier} up to the maximum, and every
 * wait is drawn within {@code jitter} of it (Resilience4j's exponential random backoff), so that
 * retries neither hammer a service still coming up nor move in lock-step with other groups'.
 *
 * @param reprotectMaxDelay longest wait between two re-protection attempts; default 8 times {@code
 *     reprotect-delay}
 * @param restoreDelay first wait before giving a proxy its group back again after a failed attempt
 * @param restoreMaxDelay longest wait between two attempts at giving a proxy its group back
 * @param multiplier how much longer each wait is than the one before (at least 1)
 * @param jitter how far a wait may be drawn from its value, as a fraction of it (0 to below 1)
 */
public record RetryBackoff(
    Duration reprotectMaxDelay,
    @DefaultValue("100ms") Duration restoreDelay,
    @DefaultValue("1s") Duration restoreMaxDelay,
    @DefaultValue("2") double multiplier,
    @DefaultValue("0.5") double jitter) {

  /** The defaults, for a coordinator built without Spring (tests). */
  public static RetryBackoff defaults() {
    return new RetryBackoff(null, Duration.ofMillis(100), Duration.ofSeconds(1), 2, 0.5);
  }

  public RetryBackoff {
    if (multiplier < 1) {
      throw new IllegalArgumentException("retry.multiplier must be at least 1, not " + multiplier);
    }
    if (jitter < 0 || jitter >= 1) {
      throw new IllegalArgumentException("retry.jitter must be from 0 to below 1, not " + jitter);
    }
  }
}
