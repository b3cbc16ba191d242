package dev.coloha.coordinator.decision;

import dev.coloha.coordinator.model.Group;
import java.time.Instant;
import java.util.function.Consumer;

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
    return edit(d -> d.group = g);
  }

  public Situation withWanted(String reason) {
    return edit(d -> d.wantedReason = reason);
  }

  public Situation withLastAttempt(Instant at) {
    return edit(d -> d.lastAttempt = at);
  }

  public Situation withFailedInARow(int n) {
    return edit(d -> d.failedInARow = n);
  }

  public Situation withNextReprotect(Instant at) {
    return edit(d -> d.nextReprotect = at);
  }

  public Situation withNextRestore(Instant at) {
    return edit(d -> d.nextRestore = at);
  }

  public Situation withNextRestart(Instant at) {
    return edit(d -> d.nextRestart = at);
  }

  public Situation withServedSince(Instant at) {
    return edit(d -> d.servedSince = at);
  }

  public Situation withWaits(Waits w) {
    return edit(d -> d.waits = w);
  }

  /**
   * This situation with {@code change} made to a draft of it: the one place that copies every
   * field, so that each wither names only what it changes.
   */
  private Situation edit(Consumer<Draft> change) {
    Draft d = new Draft();
    change.accept(d);
    return d.situation();
  }

  /** A situation's fields, open to change while a wither builds the next value. */
  private final class Draft {
    Group group = Situation.this.group;
    String wantedReason = Situation.this.wantedReason;
    Instant lastAttempt = Situation.this.lastAttempt;
    int failedInARow = Situation.this.failedInARow;
    Instant nextReprotect = Situation.this.nextReprotect;
    Instant nextRestore = Situation.this.nextRestore;
    Instant nextRestart = Situation.this.nextRestart;
    Instant servedSince = Situation.this.servedSince;
    Waits waits = Situation.this.waits;

    Situation situation() {
      return new Situation(
          group,
          wantedReason,
          lastAttempt,
          failedInARow,
          nextReprotect,
          nextRestore,
          nextRestart,
          servedSince,
          waits);
    }
  }
}
