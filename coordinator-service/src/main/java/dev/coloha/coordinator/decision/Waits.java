package dev.coloha.coordinator.decision;

import java.time.Instant;

/**
 * What a group is waiting out, and since when: the decisions that end a wait with a give-up
 * (FAILED) count from these (docs/coordinator.md, "Decisions").
 *
 * @param lonePrimary the silence of a primary without a secondary, or null while it answers
 * @param restartingSince since when a RESTARTING group waits for its volume's host, or null
 * @param createAttempts failed attempts at placing and starting a new group
 * @param creatingSince when the first of them failed, or null
 */
public record Waits(
    LonePrimary lonePrimary, Instant restartingSince, int createAttempts, Instant creatingSince) {

  /** Nothing waited for. */
  public static final Waits NONE = new Waits(null, null, 0, null);

  /**
   * A primary without a secondary that stopped answering: the only copy of the service, waited for
   * up to lone-primary-patience; probes while waiting are spaced.
   *
   * @param silentSince when its first probe failed
   * @param nextProbe when it may be probed again
   * @param reasonBefore the group's reason before the silence, given back when it answers
   */
  public record LonePrimary(Instant silentSince, Instant nextProbe, String reasonBefore) {}

  public Waits withLonePrimary(LonePrimary w) {
    return new Waits(w, restartingSince, createAttempts, creatingSince);
  }

  public Waits withRestartingSince(Instant at) {
    return new Waits(lonePrimary, at, createAttempts, creatingSince);
  }

  public Waits withCreateAttempts(int attempts, Instant since) {
    return new Waits(lonePrimary, restartingSince, attempts, since);
  }
}
