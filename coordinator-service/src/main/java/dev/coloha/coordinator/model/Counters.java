package dev.coloha.coordinator.model;

/**
 * Running totals of a group.
 *
 * @param checkpoints checkpoints committed
 * @param checkpointFailures checkpoint attempts that failed
 * @param mismatches mismatch events the proxy reported
 * @param failovers failovers done
 * @param reprotections re-protections done
 */
public record Counters(
    long checkpoints,
    long checkpointFailures,
    long mismatches,
    long failovers,
    long reprotections) {
  public static Counters zero() {
    return new Counters(0, 0, 0, 0, 0);
  }

  public Counters checkpoint() {
    return new Counters(checkpoints + 1, checkpointFailures, mismatches, failovers, reprotections);
  }

  public Counters checkpointFailure() {
    return new Counters(checkpoints, checkpointFailures + 1, mismatches, failovers, reprotections);
  }

  public Counters mismatch() {
    return new Counters(checkpoints, checkpointFailures, mismatches + 1, failovers, reprotections);
  }

  public Counters failover() {
    return new Counters(checkpoints, checkpointFailures, mismatches, failovers + 1, reprotections);
  }

  public Counters reprotection() {
    return new Counters(checkpoints, checkpointFailures, mismatches, failovers, reprotections + 1);
  }
}
