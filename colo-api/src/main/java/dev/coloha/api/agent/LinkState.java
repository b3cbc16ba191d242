package dev.coloha.api.agent;

/** State of a VM's replication link, as its agent sees it. */
public enum LinkState {
  /** No link: not paired. */
  UNPAIRED,
  /** Primary: live initial sync under way. */
  SYNCING,
  /** Primary: synced; checkpoints flow. Secondary: synced, applying checkpoints. */
  PROTECTED,
  /** Primary: the link broke (see the reason); a checkpoint request retries it once. */
  DEGRADED,
  /** Primary: the secondary lost the checkpoint chain (e.g. its agent restarted): sync again. */
  RESYNC_REQUIRED,
  /** Secondary: waiting for the primary's initial sync. */
  WAITING,
  /** Secondary: synced, but the primary's stream is gone (the secondary keeps its last state). */
  DETACHED
}
