package dev.coloha.proxy.compare;

/**
 * A group's output in bytes: held now (the primary's, waiting; the secondary's, kept for
 * comparison), and compared, released (and why) and dropped since the group started. Guarded by the
 * comparator's lock.
 */
final class OutputCounters {
  long heldPrimary;
  long heldSecondary;
  long compared;
  long releasedMatched;
  long releasedCommitted;
  long releasedSingle;
  long droppedSecondary;

  /** Bytes buffered: the primary's held plus the secondary's kept. */
  long buffered() {
    return heldPrimary + heldSecondary;
  }
}
