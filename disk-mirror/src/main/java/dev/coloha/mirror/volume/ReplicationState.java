package dev.coloha.mirror.volume;

/** Where a primary volume stands with its secondary. */
public enum ReplicationState {
  /** No secondary: writes stay local (standalone, or a fresh primary after failover). */
  UNPROTECTED,
  /** Copying the whole image to a new secondary while tracking writes (re-protection). */
  RESYNCING,
  /** Every write and barrier is forwarded to the secondary. */
  REPLICATING,
  /**
   * The secondary can no longer follow (lost stream during a resync, backpressure timeout, the
   * mirror restarted, the secondary reset): writes stay local until a resync.
   */
  DEGRADED,
  /** The secondary is in a newer epoch (it took over): this volume refuses all I/O. */
  FENCED
}
