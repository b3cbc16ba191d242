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
  /** A new secondary is being synced. */
  REPROTECTING,
  /** No replica can run it (both lost); it waits for a host. */
  FAILED,
  /** Being deleted. */
  DELETING
}
