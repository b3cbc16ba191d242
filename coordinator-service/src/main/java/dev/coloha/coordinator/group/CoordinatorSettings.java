package dev.coloha.coordinator.group;

import dev.coloha.coordinator.model.Policy;
import java.time.Duration;

/**
 * What the coordinator's groups are run with: mapped from {@code colo.coordinator.*} and checked
 * once at start-up ({@code CoordinatorProperties.toSettings()}); the meaning of each is in
 * docs/configuration.md.
 *
 * @param policy the policy of a group that names none
 * @param retry how the attempts of a step tried again until it works are spaced
 */
public record CoordinatorSettings(
    Policy policy,
    Duration callTimeout,
    Duration checkpointTimeout,
    Duration syncTimeout,
    Duration probeTimeout,
    Duration reprotectDelay,
    Duration hostGrace,
    int maxCheckpointFailures,
    boolean allowPrivilegedPorts,
    int createAttempts,
    Duration createTimeout,
    Duration lonePrimaryPatience,
    Duration rejoinAfter,
    boolean sweepOnRegistration,
    Retry retry) {

  /**
   * How a group's worker spaces the attempts of a re-protection and of giving a proxy its group
   * back ({@code colo.coordinator.retry.*}).
   *
   * @param reprotectMaxDelay longest wait between two re-protection attempts, or null for 8 times
   *     the first
   * @param restoreDelay first wait before giving a proxy its group back again
   * @param restoreMaxDelay longest wait between two attempts at it
   * @param multiplier how much longer each wait is than the one before (at least 1)
   * @param jitter how far a wait may be drawn from its value, as a fraction of it (0 to below 1)
   */
  public record Retry(
      Duration reprotectMaxDelay,
      Duration restoreDelay,
      Duration restoreMaxDelay,
      double multiplier,
      double jitter) {

    /** The defaults, for a coordinator built without its configuration (tests). */
    public static Retry defaults() {
      return new Retry(null, Duration.ofMillis(100), Duration.ofSeconds(1), 2, 0.5);
    }

    /** The longest re-protection wait for a first wait of {@code reprotectDelay}. */
    public Duration reprotectMaxDelay(Duration reprotectDelay) {
      return reprotectMaxDelay != null ? reprotectMaxDelay : reprotectDelay.multipliedBy(8);
    }
  }
}
