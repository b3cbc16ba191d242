package dev.coloha.coordinator.decision;

import java.time.Instant;

/**
 * What the decision machine asks the executor to do. Each is an idempotent step of the group
 * package's executor (it calls the agents, mirrors and proxy, persists, publishes) and reports what
 * the machine needs to know as a new {@link Signal}.
 */
public sealed interface Action {

  /** Capture a checkpoint on the primary (acknowledged by the secondary): not yet released. */
  record Checkpoint(String reason) implements Action {}

  /** Commit the acknowledged checkpoint {@code sequence} of {@code epoch} at the proxy. */
  record Commit(long epoch, long sequence) implements Action {}

  /** Fail over to the secondary: a new epoch persisted first, then the promotion. */
  record FailOver(String reason, boolean resumed) implements Action {}

  /** Drop the secondary: a new epoch with the primary alone, persisted first, then the proxy. */
  record DropSecondary(String reason, boolean reprotectAtOnce) implements Action {}

  /** Neither replica's VM is left: restart from the last primary's volume, or FAILED. */
  record BothLost(String reason) implements Action {}

  /** Place and create the group's replicas and pair them. */
  record Protect() implements Action {}

  /** Pair the primary with a new secondary on another host. */
  record Reprotect() implements Action {}

  /** Give the proxy the group again. */
  record RestoreProxy() implements Action {}

  /** Start a RESTARTING group's primary from its volume once its host answers. */
  record RestartFromVolume() implements Action {}

  /** Try the restart from the volume again after the restart backoff, counted from {@code from}. */
  record ScheduleRestart(Instant from) implements Action {}

  /** Delete replicas of earlier epochs on hosts that answer again. */
  record CleanOrphans() implements Action {}

  /** Probe a replica's agent (and whether it still has the VM). */
  record Probe(Role role, String reason) implements Action {}

  /**
   * Probe the primary's disk mirror, then the secondary's, before a failed checkpoint is blamed on
   * {@code suspect}.
   */
  record ProbeMirrors(String message, Signal.Suspect suspect) implements Action {
    /** After a failure on the primary's disk. */
    public ProbeMirrors(String message) {
      this(message, Signal.Suspect.PRIMARY_DISK);
    }
  }

  /** Persist the group as the machine left it, with a history entry. */
  record Persist(String kind, String detail) implements Action {}

  /** A history entry without persisting the group. */
  record Publish(String kind, String detail) implements Action {}

  /** Count a failed checkpoint in the metrics, by why. */
  record CountCheckpointFailure(String why) implements Action {}

  /** The proxy restore's backoff starts again. */
  record ResetRestoreBackoff() implements Action {}

  /** Decide {@code signal} next, after the actions before this one have run. */
  record Follow(Signal signal) implements Action {}
}
