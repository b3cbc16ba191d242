package dev.coloha.coordinator.model;

/** Where a protected group stands. */
public enum GroupState {
  /** Placing and creating its replicas. */
  CREATING,
  /** The secondary is being synced (initial sync). */
  SYNCING,
  /** Primary and secondary in lock-step: a primary failure loses nothing. */
  PROTECTED,
  /**
   * The primary was lost: the new epoch is persisted, the secondary is being promoted (a
   * coordinator restart resumes here).
   */
  FAILING_OVER,
  /** Running on one replica only (secondary lost, or after a failover); re-protection follows. */
  DEGRADED,
  /**
   * Both replicas were lost (their VMs are gone) but the last primary's volume survives on its
   * mirror: the new epoch is persisted, and a new primary VM is being started from that volume (a
   * coordinator restart resumes here); then DEGRADED, and re-protection follows.
   */
  RESTARTING,
  /** A new secondary is being synced. */
  REPROTECTING,
  /**
   * Its replicas run, but the proxy does not serve it (the proxy is down, or restarted without its
   * groups): the coordinator gives the proxy the group again as soon as it answers, in the same
   * epoch, and the group goes back to PROTECTED (or DEGRADED).
   */
  UNSERVED,
  /** No replica can run it (both lost); it waits for a host. */
  FAILED,
  /** Being deleted. */
  DELETING
}
