package dev.coloha.proxy.compare;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;

/**
 * One client connection's output, as the two replicas produce it: the primary's bytes not yet
 * released, the secondary's bytes per interval, and the decision for each byte: release it (both
 * replicas produced it identically at the same offset in the same interval, or a commit covers it),
 * hold it, or report a mismatch. Driven by {@link OutputComparator} under its lock.
 *
 * <p>The primary's bytes are one contiguous queue from {@link #released}; each chunk keeps the
 * interval it was produced in. The secondary's bytes are kept per interval ({@link Segment}),
 * because a checkpoint repositions the secondary's output: its interval N+1 starts again at the
 * primary's offset at the pause. Comparison uses only the secondary segment of the group's compare
 * interval (the one after the last commit), byte for byte with {@link Arrays#mismatch}, whatever
 * the chunking of either side.
 */
final class ConnectionOutput {
  /** The secondary's output of one interval for this connection. */
  static final class Segment {
    final long interval;
    final ChunkQueue bytes = new ChunkQueue();
    long next;
    long closedAt = -1;
    boolean broken;

    Segment(long interval, long start) {
      this.interval = interval;
      this.next = start;
    }
  }

  final int conn;
  private final OutputComparator g;

  /** Primary bytes not yet released, from {@link #released} to {@link #pNext}. */
  final ChunkQueue p = new ChunkQueue();

  long released;
  long pNext;
  long pClosedAt = -1;
  long pClosedInterval = -1;

  /** Secondary segments, ascending by interval; only those after the last commit are kept. */
  final ArrayDeque<Segment> segments = new ArrayDeque<>(2);

  /** Secondary bytes below this offset are dropped on arrival (after a re-attach). */
  long secondaryFloor;

  /** A mismatch in {@link #heldInterval}: the primary's bytes wait for its commit. */
  boolean held;

  long heldInterval;

  /** Released without comparison (passthrough, failover, or not protectable). */
  boolean single;

  /** In COLO mode but its secondary cannot be trusted to hold this connection (input missing). */
  boolean unprotected;

  boolean finished;

  /** System.nanoTime since when one side has been ahead of the other (-1: not pending). */
  long pendingSince = -1;

  boolean timeoutReported;
  boolean overLimit;

  /** Primary output offset of the last commit that listed this connection, and its sequence. */
  long commitTarget = -1;

  long commitTargetSequence = -1;

  Capture capture;

  /** Most recently released chunks, kept (by reference) for the forensic window. */
  private final ArrayDeque<Chunk> recent = new ArrayDeque<>(4);

  private long recentBytes;

  ConnectionOutput(int conn, OutputComparator g, boolean single) {
    this.conn = conn;
    this.g = g;
    this.single = single;
  }

  long buffered() {
    long n = p.size();
    for (Segment s : segments) {
      n += s.bytes.size();
    }
    return n;
  }

  // ---- primary --------------------------------------------------------------------------------

  void primaryOutput(long interval, long offset, byte[] bytes, long now) {
    if (finished) {
      return;
    }
    if (offset > pNext) {
      reset("primary output jumps from offset " + pNext + " to " + offset);
      return;
    }
    long end = offset + bytes.length;
    long keep = Math.max(pNext, released);
    pNext = Math.max(pNext, end);
    if (end <= keep) {
      return; // bytes already received or released
    }
    int skip = (int) (keep - offset);
    Chunk c = new Chunk(bytes, skip, bytes.length, keep, interval, now);
    p.add(c);
    g.heldPrimary += c.remaining();
    if (capture != null && held) {
      capture.primary(c);
    }
    drain(now);
  }

  void primaryClosed(long interval, long endOffset, long now) {
    if (finished) {
      return;
    }
    if (endOffset > pNext) {
      reset("primary closed at " + endOffset + " but its output ends at " + pNext);
      return;
    }
    pClosedAt = Math.max(endOffset, released);
    pClosedInterval = interval;
    drain(now);
  }

  // ---- secondary ------------------------------------------------------------------------------

  void secondaryOutput(long interval, long offset, byte[] bytes, long now) {
    if (finished || single || unprotected || interval <= g.committed) {
      g.droppedSecondary += bytes.length;
      return;
    }
    Segment s = segment(interval, offset);
    long end = offset + bytes.length;
    if (offset > s.next) {
      s.broken = true; // bytes lost (a stream reconnected): this segment can never match
    }
    long keep = Math.max(Math.max(s.next, offset), secondaryFloor);
    s.next = Math.max(s.next, end);
    if (end <= keep) {
      g.droppedSecondary += bytes.length;
      return;
    }
    Chunk c = new Chunk(bytes, (int) (keep - offset), bytes.length, keep, interval, now);
    s.bytes.add(c);
    g.heldSecondary += c.remaining();
    if (capture != null && held) {
      capture.secondary(c);
    }
    if (interval == g.compareInterval) {
      drain(now);
    } else {
      checkLimit();
    }
  }

  void secondaryClosed(long interval, long endOffset, long now) {
    if (finished || single || unprotected || interval <= g.committed) {
      return;
    }
    Segment s = segment(interval, endOffset);
    if (endOffset != s.next) {
      s.broken = true;
    }
    s.closedAt = endOffset;
    if (interval == g.compareInterval) {
      drain(now);
    }
  }

  private Segment segment(long interval, long start) {
    Segment last = segments.peekLast();
    if (last != null && last.interval == interval) {
      return last;
    }
    for (Segment s : segments) {
      if (s.interval == interval) {
        return s;
      }
    }
    Segment s = new Segment(interval, start);
    s.broken = interval <= g.secondaryBrokenThrough;
    if (last == null || last.interval < interval) {
      segments.addLast(s);
    } else {
      ArrayDeque<Segment> sorted = new ArrayDeque<>(segments.size() + 1);
      boolean placed = false;
      for (Segment x : segments) {
        if (!placed && x.interval > interval) {
          sorted.add(s);
          placed = true;
        }
        sorted.add(x);
      }
      segments.clear();
      segments.addAll(sorted);
    }
    return s;
  }

  private Segment compareSegment() {
    for (Segment s : segments) {
      if (s.interval == g.compareInterval) {
        return s;
      }
    }
    return null;
  }

  // ---- the decision ---------------------------------------------------------------------------

  /** Releases what can be released, compares what can be compared, reports what diverged. */
  void drain(long now) {
    if (finished) {
      return;
    }
    while (true) {
      Chunk h = p.peek();
      if (h == null) {
        if (pClosedAt >= 0 && released >= pClosedAt) {
          closeIfMatched(now);
        }
        break;
      }
      if (single || unprotected || h.interval <= g.committed) {
        release(h, h.remaining(), single || unprotected ? Release.SINGLE : Release.COMMITTED);
        continue;
      }
      if (held || h.interval > g.compareInterval) {
        break;
      }
      Segment s = compareSegment();
      if (s == null) {
        break; // the primary is ahead
      }
      if (s.broken) {
        mismatch(MismatchKind.CONTENT, released, s, "the secondary's stream lost bytes", now);
        break;
      }
      Chunk sc = s.bytes.peek();
      if (sc == null) {
        if (s.closedAt >= 0 && s.closedAt <= h.offset) {
          mismatch(
              MismatchKind.CLOSE,
              h.offset,
              s,
              "the secondary closed at " + s.closedAt + ", the primary goes on",
              now);
        }
        break;
      }
      if (sc.offset != h.offset) {
        mismatch(
            MismatchKind.CONTENT,
            Math.min(sc.offset, h.offset),
            s,
            "the replicas' output of interval "
                + g.compareInterval
                + " starts at different offsets ("
                + h.offset
                + " and "
                + sc.offset
                + ")",
            now);
        break;
      }
      int n = Math.min(h.remaining(), sc.remaining());
      int i = Arrays.mismatch(h.bytes, h.from, h.from + n, sc.bytes, sc.from, sc.from + n);
      int same = i < 0 ? n : i;
      if (same > 0) {
        g.compared += same;
        s.bytes.skip(same);
        g.heldSecondary -= same;
        release(h, same, Release.MATCHED);
      }
      if (i >= 0) {
        mismatch(MismatchKind.CONTENT, released, s, "first differing byte", now);
        break;
      }
    }
    updatePending(now);
    checkLimit();
  }

  /** The primary's stream is closed at {@link #released}: close the client if that is agreed. */
  private void closeIfMatched(long now) {
    if (single || unprotected || pClosedInterval <= g.committed) {
      finish();
      g.effects.closeClient(conn);
      return;
    }
    if (held || pClosedInterval > g.compareInterval) {
      return;
    }
    Segment s = compareSegment();
    if (s == null) {
      return; // the secondary has not caught up (a timeout tells)
    }
    if (!s.bytes.isEmpty()) {
      mismatch(
          MismatchKind.CLOSE,
          pClosedAt,
          s,
          "the primary closed at " + pClosedAt + ", the secondary goes on",
          now);
    } else if (s.closedAt == pClosedAt && !s.broken) {
      finish();
      g.effects.closeClient(conn);
    } else if (s.closedAt >= 0) {
      mismatch(
          MismatchKind.CLOSE,
          Math.min(s.closedAt, pClosedAt),
          s,
          "the replicas closed at different offsets (" + pClosedAt + " and " + s.closedAt + ")",
          now);
    }
  }

  enum Release {
    MATCHED,
    COMMITTED,
    SINGLE
  }

  private void release(Chunk h, int n, Release why) {
    Chunk out;
    if (n == h.remaining()) {
      p.poll();
      out = h;
    } else {
      out = h.head(n);
      p.skip(n);
    }
    released += n;
    g.heldPrimary -= n;
    switch (why) {
      case MATCHED -> g.releasedMatched += n;
      case COMMITTED -> g.releasedCommitted += n;
      case SINGLE -> g.releasedSingle += n;
    }
    if (g.recentWindow > 0) {
      recent.add(out);
      recentBytes += n;
      while (recentBytes - recent.peekFirst().remaining() >= g.recentWindow) {
        recentBytes -= recent.pollFirst().remaining();
      }
    }
    g.effects.release(conn, out);
  }

  private void mismatch(MismatchKind kind, long at, Segment s, String detail, long now) {
    held = true;
    heldInterval = g.compareInterval;
    pendingSince = -1;
    g.effects.mismatch(describe(kind, at, s, detail, true));
  }

  private Mismatch describe(
      MismatchKind kind, long at, Segment s, String detail, boolean continueCapture) {
    ChunkQueue sq = s == null ? null : s.bytes;
    Capture c = g.recentWindow > 0 ? Capture.start(at, (int) g.recentWindow, recent, p, sq) : null;
    if (c != null && continueCapture) {
      capture = c;
    } else if (c != null) {
      c.close();
    }
    return new Mismatch(
        kind,
        conn,
        g.compareInterval,
        at,
        pNext,
        s == null ? at : s.next,
        p.copy(at, g.sampleSize),
        sq == null ? new byte[0] : sq.copy(at, g.sampleSize),
        detail,
        c);
  }

  // ---- timeouts and limits --------------------------------------------------------------------

  private boolean pending() {
    if (single || held || finished || unprotected) {
      return false;
    }
    if (!p.isEmpty() || pClosedAt >= 0) {
      return true;
    }
    Segment s = compareSegment();
    return s != null && (!s.bytes.isEmpty() || s.closedAt >= 0);
  }

  private void updatePending(long now) {
    boolean pending = pending();
    if (!pending) {
      if (pendingSince >= 0) {
        g.pending.remove(this);
      }
      pendingSince = -1;
      timeoutReported = false;
    } else if (pendingSince < 0) {
      pendingSince = now;
      g.pending.add(this);
    }
  }

  /** Reports a timeout once per episode when one side stayed ahead for too long. */
  void checkTimeout(long now, long timeoutNanos) {
    if (pendingSince < 0 || timeoutReported || now - pendingSince < timeoutNanos) {
      return;
    }
    if (!pending()) {
      updatePending(now);
      return;
    }
    timeoutReported = true;
    Segment s = compareSegment();
    boolean closing = pClosedAt >= 0 || (s != null && s.closedAt >= 0);
    String side =
        !p.isEmpty() && p.peek().interval > g.compareInterval
            ? "the primary's output of interval "
                + p.peek().interval
                + " waits for the commit of "
                + g.compareInterval
            : (s == null || s.bytes.isEmpty()) && !p.isEmpty()
                ? "the primary is ahead"
                : "the secondary is ahead";
    g.effects.mismatch(
        describe(
            closing ? MismatchKind.CLOSE : MismatchKind.TIMEOUT,
            released,
            s,
            side + " for " + (now - pendingSince) / 1_000_000 + " ms",
            false));
  }

  void checkLimit() {
    long n = buffered();
    if (!overLimit && n > g.heldLimitPerConnection) {
      overLimit = true;
      g.effects.pressure(conn, true, n);
    } else if (overLimit && n <= g.heldLimitPerConnection / 2) {
      overLimit = false;
      g.effects.pressure(conn, false, n);
    }
  }

  // ---- commits, failover, re-attach -----------------------------------------------------------

  /** Checkpoint {@code sequence} is committed (the group's intervals have moved already). */
  void commit(long sequence, long target, long now) {
    if (target >= 0) {
      commitTarget = target;
      commitTargetSequence = sequence;
    }
    dropSegmentsThrough(sequence);
    if (held && heldInterval <= sequence) {
      held = false;
      if (capture != null) {
        capture.close();
        capture = null;
      }
    }
    timeoutReported = false;
    if (pendingSince >= 0) {
      pendingSince = now; // a new episode starts with the new interval
    }
    drain(now);
  }

  private void dropSegmentsThrough(long sequence) {
    for (Iterator<Segment> it = segments.iterator(); it.hasNext(); ) {
      Segment s = it.next();
      if (s.interval <= sequence) {
        long n = s.bytes.clear();
        g.heldSecondary -= n;
        g.droppedSecondary += n;
        it.remove();
      }
    }
  }

  /**
   * The secondary becomes the only replica: the old primary's bytes that a checkpoint the secondary
   * applied covers are released, the rest dropped; the secondary's bytes of its latest interval
   * continue the stream from {@link #released} on.
   *
   * @param lineageInterval the secondary's current interval (its bytes of older intervals were
   *     replaced by the checkpoints it applied)
   */
  void failoverToSecondary(long lineageInterval, long now) {
    if (finished) {
      return;
    }
    while (p.peek() != null && p.peek().interval <= g.committed) {
      Chunk h = p.peek();
      release(h, h.remaining(), Release.COMMITTED);
    }
    if (pClosedAt >= 0 && pClosedInterval <= g.committed && released >= pClosedAt) {
      finish();
      g.effects.closeClient(conn);
      return;
    }
    g.heldPrimary -= p.clear();
    pClosedAt = -1;
    boolean wasUnprotected = unprotected;
    Segment lineage = null;
    for (Segment s : segments) {
      if (s.interval == lineageInterval) {
        lineage = s;
      } else {
        long n = s.bytes.clear();
        g.heldSecondary -= n;
        g.droppedSecondary += n;
      }
    }
    segments.clear();
    single = true;
    held = false;
    unprotected = false;
    if (capture != null) {
      capture.close();
      capture = null;
    }
    if (wasUnprotected) {
      reset("the new primary never received this connection's input");
      return;
    }
    if (lineage != null) {
      long head = lineage.bytes.isEmpty() ? lineage.next : lineage.bytes.head();
      if (head > released || lineage.broken) {
        g.heldSecondary -= lineage.bytes.clear();
        reset("the new primary's output resumes at " + head + ", after released " + released);
        return;
      }
      long dropped = lineage.bytes.dropBelow(released);
      g.heldSecondary -= dropped;
      for (Chunk c = lineage.bytes.poll(); c != null; c = lineage.bytes.poll()) {
        g.heldSecondary -= c.remaining();
        p.add(c);
        g.heldPrimary += c.remaining();
      }
      pNext = Math.max(lineage.next, released);
      if (lineage.closedAt >= 0) {
        pClosedAt = lineage.closedAt;
        pClosedInterval = lineage.interval;
      }
    } else {
      long resumeAt =
          commitTargetSequence == lineageInterval - 1 && commitTarget >= 0
              ? commitTarget
              : released;
      if (resumeAt > released) {
        reset(
            "the old primary's output up to " + resumeAt + " never arrived; released " + released);
        return;
      }
      pNext = resumeAt;
    }
    drain(now);
  }

  /** The secondary is gone: everything the primary produced is released from now on. */
  void dropSecondary(long now) {
    for (Segment s : segments) {
      long n = s.bytes.clear();
      g.heldSecondary -= n;
      g.droppedSecondary += n;
    }
    segments.clear();
    single = true;
    held = false;
    unprotected = false;
    if (capture != null) {
      capture.close();
      capture = null;
    }
    drain(now);
  }

  /** A (new) secondary joins, synced by the group's last commit; compare from what follows. */
  void attachSecondary(boolean protectable, long now) {
    for (Segment s : segments) {
      g.heldSecondary -= s.bytes.clear();
    }
    segments.clear();
    single = false;
    held = false;
    unprotected = !protectable;
    secondaryFloor = Math.max(released, pNext);
    timeoutReported = false;
    drain(now);
  }

  private void reset(String reason) {
    finish();
    g.effects.resetClient(conn, reason);
  }

  /** The connection is over for the proxy: drop what it holds. */
  void finish() {
    if (finished) {
      return;
    }
    finished = true;
    g.heldPrimary -= p.clear();
    for (Segment s : segments) {
      g.heldSecondary -= s.bytes.clear();
    }
    segments.clear();
    recent.clear();
    recentBytes = 0;
    if (capture != null) {
      capture.close();
      capture = null;
    }
    if (pendingSince >= 0) {
      g.pending.remove(this);
      pendingSince = -1;
    }
    if (overLimit) {
      overLimit = false;
      g.effects.pressure(conn, false, 0);
    }
  }
}
