package dev.coloha.microvm.checkpoint;

/** What a capture carries. */
public enum CaptureKind {
  /** Every page: a checkpoint a VM can be restored from alone. */
  FULL,
  /** The pages dirtied since the last capture: a delta of the last checkpoint. */
  DELTA,
  /**
   * The pages dirtied since the last pre-copy round: the final round of a live initial sync,
   * applied on top of the pre-copied image.
   */
  PRECOPY_FINAL
}
