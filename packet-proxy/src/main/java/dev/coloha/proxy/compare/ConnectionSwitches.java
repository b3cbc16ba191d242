package dev.coloha.proxy.compare;

import dev.coloha.proxy.compare.SecondaryOutput.Segment;

/**
 * How one connection's output follows a change of the group: a commit, a failover to the secondary,
 * the secondary dropped, a (new) secondary attached. Each ends with the connection's next decision
 * ({@link ConnectionOutput#drain}).
 */
final class ConnectionSwitches {
  private ConnectionSwitches() {}

  /** Checkpoint {@code sequence} is committed (the group's intervals have moved already). */
  static void commit(ConnectionOutput c, long sequence, long target, long now) {
    OutputComparator g = c.g;
    if (target >= 0) {
      c.commitTarget = target;
      c.commitTargetSequence = sequence;
    }
    long n = c.secondary.dropThrough(sequence);
    g.counts.heldSecondary -= n;
    g.counts.droppedSecondary += n;
    if (c.shown() == ConnectionState.HELD && c.heldInterval <= sequence) {
      c.become(ConnectionState.COMPARED);
      c.closeCapture();
    }
    c.timeoutReported = false;
    if (c.pendingSince >= 0) {
      c.pendingSince = now; // a new episode starts with the new interval
    }
    c.drain(now);
  }

  /**
   * The secondary becomes the only replica: the old primary's bytes that a checkpoint the secondary
   * applied covers are released, the rest dropped; the secondary's bytes of its latest interval
   * continue the stream from {@link ConnectionOutput#released} on.
   *
   * @param lineageInterval the secondary's current interval (its bytes of older intervals were
   *     replaced by the checkpoints it applied)
   */
  static void failoverToSecondary(ConnectionOutput c, long lineageInterval, long now) {
    if (c.is(ConnectionState.FINISHED)) {
      return;
    }
    OutputComparator g = c.g;
    while (c.p.peek() != null && c.p.peek().interval <= g.committed) {
      Chunk h = c.p.peek();
      c.release(h, h.remaining(), ConnectionOutput.Release.COMMITTED);
    }
    if (c.pClosedAt >= 0 && c.pClosedInterval <= g.committed && c.released >= c.pClosedAt) {
      c.finish();
      g.effects.closeClient(c.conn);
      return;
    }
    g.counts.heldPrimary -= c.p.clear();
    c.pClosedAt = -1;
    boolean wasUnprotected = c.is(ConnectionState.UNPROTECTED);
    Segment lineage = c.secondary.of(lineageInterval);
    long n = c.secondary.clearExcept(lineage);
    g.counts.heldSecondary -= n;
    g.counts.droppedSecondary += n;
    c.become(ConnectionState.SINGLE);
    c.closeCapture();
    if (wasUnprotected) {
      c.reset("the new primary never received this connection's input");
      return;
    }
    if (lineage != null) {
      long head = lineage.bytes.isEmpty() ? lineage.next : lineage.bytes.head();
      if (head > c.released || lineage.broken) {
        g.counts.heldSecondary -= lineage.bytes.clear();
        c.reset("the new primary's output resumes at " + head + ", after released " + c.released);
        return;
      }
      g.counts.heldSecondary -= lineage.bytes.dropBelow(c.released);
      for (Chunk k = lineage.bytes.poll(); k != null; k = lineage.bytes.poll()) {
        g.counts.heldSecondary -= k.remaining();
        c.p.add(k);
        g.counts.heldPrimary += k.remaining();
      }
      c.pNext = Math.max(lineage.next, c.released);
      if (lineage.closedAt >= 0) {
        c.pClosedAt = lineage.closedAt;
        c.pClosedInterval = lineage.interval;
      }
    } else {
      long resumeAt =
          c.commitTargetSequence == lineageInterval - 1 && c.commitTarget >= 0
              ? c.commitTarget
              : c.released;
      if (resumeAt > c.released) {
        c.reset(
            "the old primary's output up to "
                + resumeAt
                + " never arrived; released "
                + c.released);
        return;
      }
      c.pNext = resumeAt;
    }
    c.drain(now);
  }

  /** The secondary is gone: everything the primary produced is released from now on. */
  static void dropSecondary(ConnectionOutput c, long now) {
    OutputComparator g = c.g;
    long n = c.secondary.clear();
    g.counts.heldSecondary -= n;
    g.counts.droppedSecondary += n;
    c.become(ConnectionState.SINGLE);
    c.closeCapture();
    c.drain(now);
  }

  /** A (new) secondary joins, synced by the group's last commit; compare from what follows. */
  static void attachSecondary(ConnectionOutput c, boolean protectable, long now) {
    c.g.counts.heldSecondary -= c.secondary.clear();
    c.become(protectable ? ConnectionState.COMPARED : ConnectionState.UNPROTECTED);
    c.secondaryFloor = Math.max(c.released, c.pNext);
    c.timeoutReported = false;
    c.drain(now);
  }
}
