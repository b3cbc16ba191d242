package dev.coloha.coordinator.decision;

import dev.coloha.coordinator.model.Group;
import java.time.Instant;

/**
 * What the decision machine decides on: the group as the coordinator holds it, and the worker's
 * bookkeeping around it (a checkpoint asked for, when the last was attempted, failures in a row,
 * when the next retries are due). Immutable; {@link GroupDecisions#decide} returns the next one.
 *
 * @param group the group (persisted by a {@link Action.Persist} action, not by the machine)
 * @param wantedReason why a checkpoint is pending (coalesced requests), or null
 * @param lastAttempt when the last checkpoint was attempted (the minimum interval counts from it)
 * @param failedInARow checkpoints failed in a row with both replicas answering
 * @param nextReprotect when creation, pairing, re-protection or a resumed failover is next tried
 * @param nextRestore when the proxy is next given the group back (UNSERVED)
 * @param nextRestart when a RESTARTING group is next started from its volume
 * @param servedSince since when the proxy is known to serve the group (older losses are stale)
 * @param waits what the group waits out before giving up (a silent lone primary, a restart, its
 *     creation)
 */
public record Situation(
    Group group,
    String wantedReason,
    Instant lastAttempt,
    int failedInARow,
    Instant nextReprotect,
    Instant nextRestore,
    Instant nextRestart,
    Instant servedSince,
    Waits waits) {

  /** A group just taken up: nothing pending, everything due. */
  public static Situation of(Group g) {
    return new Situation(
        g,
        null,
        Instant.EPOCH,
        0,
        Instant.EPOCH,
        Instant.EPOCH,
        Instant.EPOCH,
        Instant.EPOCH,
        Waits.NONE);
  }

  public Situation withGroup(Group g) {
    return new Situation(
        g,
        wantedReason,
        lastAttempt,
        failedInARow,
        nextReprotect,
        nextRestore,
        nextRestart,
        servedSince,
        waits);
  }

  public Situation withWanted(String reason) {
    return new Situation(
        group,
        reason,
        lastAttempt,
        failedInARow,
        nextReprotect,
        nextRestore,
        nextRestart,
        servedSince,
        waits);
  }

  public Situation withLastAttempt(Instant at) {
    return new Situation(
        group,
        wantedReason,
        at,
        failedInARow,
        nextReprotect,
        nextRestore,
        nextRestart,
        servedSince,
        waits);
  }

  public Situation withFailedInARow(int n) {
    return new Situation(
        group,
        wantedReason,
        lastAttempt,
        n,
        nextReprotect,
        nextRestore,
        nextRestart,
        servedSince,
        waits);
  }

  public Situation withNextReprotect(Instant at) {
    return new Situation(
        group,
        wantedReason,
        lastAttempt,
        failedInARow,
        at,
        nextRestore,
        nextRestart,
        servedSince,
        waits);
  }

  public Situation withNextRestore(Instant at) {
    return new Situation(
        group,
        wantedReason,
        lastAttempt,
        failedInARow,
        nextReprotect,
        at,
        nextRestart,
        servedSince,
        waits);
  }

  public Situation withNextRestart(Instant at) {
    return new Situation(
        group,
        wantedReason,
        lastAttempt,
        failedInARow,
        nextReprotect,
        nextRestore,
        at,
        servedSince,
        waits);
  }

  public Situation withServedSince(Instant at) {
    return new Situation(
        group,
        wantedReason,
        lastAttempt,
        failedInARow,
        nextReprotect,
        nextRestore,
        nextRestart,
        at,
        waits);
  }

  public Situation withWaits(Waits w) {
    return new Situation(
        group,
        wantedReason,
        lastAttempt,
        failedInARow,
        nextReprotect,
        nextRestore,
        nextRestart,
        servedSince,
        w);
  }
}
