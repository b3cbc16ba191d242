package dev.coloha.mirror.volume;

/**
 * What a flush does to a mirror's files: the micro-VM's {@code FlushPolicy} semantics, applied to a
 * volume's image, overlay and pending-write journal.
 */
public enum FlushPolicy {
  /** fsync on every flush (and before acknowledging replicated writes): survives a host crash. */
  FSYNC,
  /**
   * Data is in the OS page cache at once (survives a crash of the mirror process) and fsynced in
   * the background at most one flush interval later. The default.
   */
  INTERVAL,
  /** Page cache only: survives a crash of the mirror process, not of the host. */
  OS
}
