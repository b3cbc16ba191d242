package dev.coloha.api.mirror;

/** What a volume is to its mirror. */
public enum VolumeRole {
  /** Serves its VM's reads and writes from its image and forwards writes to a secondary. */
  PRIMARY,
  /**
   * Keeps the primary's writes hidden until their barrier commits; its own VM writes go to an
   * overlay that reads see first.
   */
  SECONDARY
}
