package dev.coloha.proxy.compare;

import dev.coloha.proxy.compare.SecondaryOutput.Segment;
import java.util.Arrays;

/**
 * One client connection's output, as the two replicas produce it: the primary's bytes not yet
 * released, the secondary's bytes per interval, and the decision for each byte: release it (both
 * replicas produced it identically at the same offset in the same interval, or a commit covers it),
 * hold it, or report a mismatch. Driven by {@link OutputComparator} under its lock; where the
 * connection stands is its {@link ConnectionState}.
 *
 * <p>The primary's bytes are one contiguous queue from {@link #released}; each chunk keeps the
 * interval it was produced in. The secondary's bytes are kept per interval ({@link
 * SecondaryOutput}). Comparison uses only the secondary segment of the group's compare interval
 * (the one after the last commit), byte for byte with {@link Arrays#mismatch}, whatever the
 * chunking of either side. The changes of roles (commit, failover, a secondary dropped or attached)
 * are {@link ConnectionSwitches}.
 */
final class ConnectionOutput {
  final int conn;
  final OutputComparator g;

  /** Primary bytes not yet released, from {@link #released} to {@link #pNext}. */
  final ChunkQueue p = new ChunkQueue();

  long released;
  long pNext;
  long pClosedAt = -1;
  long pClosedInterval = -1;

  final SecondaryOutput secondary = new SecondaryOutput();

  /** Secondary bytes below this offset are dropped on arrival (after a re-attach). */
  long secondaryFloor;

  private ConnectionState state;

  /** The state before {@link ConnectionState#FINISHED} (what the API shows of a closing one). */
  private ConnectionState lastLive;

  /** The interval whose commit releases a {@link ConnectionState#HELD} connection. */
  long heldInterval;

  /** System.nanoTime since when one side has been ahead of the other (-1: not pending). */
  long pendingSince = -1;

  boolean timeoutReported;
  private boolean overLimit;

  /** Primary output offset of the last commit that listed this connection, and its sequence. */
  long commitTarget = -1;

  long commitTargetSequence = -1;

  Capture capture;

  final RecentOutput recent = new RecentOutput();

  ConnectionOutput(int conn, OutputComparator g, boolean single) {
    this.conn = conn;
    this.g = g;
    this.state = single ? ConnectionState.SINGLE : ConnectionState.COMPARED;
  }

  /** Where the connection stands (for a finished one: where it stood, as the API shows it). */
  ConnectionState shown() {
    return state == ConnectionState.FINISHED ? lastLive : state;
  }

  boolean is(ConnectionState s) {
    return state == s;
  }

  /** Moves to {@code next}; a finished connection stays finished (and shows {@code next}). */
  void become(ConnectionState next) {
    if (state == ConnectionState.FINISHED) {
      lastLive = next;
    } else {
      state = next;
    }
  }

  long buffered() {
    return p.size() + secondary.bytes();
  }

  // ---- primary --------------------------------------------------------------------------------

  void primaryOutput(long interval, long offset, byte[] bytes, long now) {
    if (is(ConnectionState.FINISHED)) {
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
    g.counts.heldPrimary += c.remaining();
    if (capture != null && is(ConnectionState.HELD)) {
      capture.primary(c);
    }
    drain(now);
  }

  void primaryClosed(long interval, long endOffset, long now) {
    if (is(ConnectionState.FINISHED)) {
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

  private boolean ignoresSecondary(long interval) {
    return is(ConnectionState.FINISHED) || state.uncompared() || interval <= g.committed;
  }

  void secondaryOutput(long interval, long offset, byte[] bytes, long now) {
    if (ignoresSecondary(interval)) {
      g.counts.droppedSecondary += bytes.length;
      return;
    }
    Segment s = secondary.segment(interval, offset, g.secondaryBrokenThrough);
    long end = offset + bytes.length;
    if (offset > s.next) {
      s.broken = true; // bytes lost (a stream reconnected): this segment can never match
    }
    long keep = Math.max(Math.max(s.next, offset), secondaryFloor);
    s.next = Math.max(s.next, end);
    if (end <= keep) {
      g.counts.droppedSecondary += bytes.length;
      return;
    }
    Chunk c = new Chunk(bytes, (int) (keep - offset), bytes.length, keep, interval, now);
    s.bytes.add(c);
    g.counts.heldSecondary += c.remaining();
    if (capture != null && is(ConnectionState.HELD)) {
      capture.secondary(c);
    }
    if (interval == g.compareInterval) {
      drain(now);
    } else {
      checkLimit();
    }
  }

  void secondaryClosed(long interval, long endOffset, long now) {
    if (ignoresSecondary(interval)) {
      return;
    }
    Segment s = secondary.segment(interval, endOffset, g.secondaryBrokenThrough);
    if (endOffset != s.next) {
      s.broken = true;
    }
    s.closedAt = endOffset;
    if (interval == g.compareInterval) {
      drain(now);
    }
  }

  Segment compareSegment() {
    return secondary.of(g.compareInterval);
  }

  // ---- the decision ---------------------------------------------------------------------------

  /** Releases what can be released, compares what can be compared, reports what diverged. */
  void drain(long now) {
    if (is(ConnectionState.FINISHED)) {
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
      if (state.uncompared() || h.interval <= g.committed) {
        release(h, h.remaining(), state.uncompared() ? Release.SINGLE : Release.COMMITTED);
        continue;
      }
      if (is(ConnectionState.HELD) || h.interval > g.compareInterval) {
        break;
      }
      Segment s = compareSegment();
      if (s == null) {
        break; // the primary is ahead
      }
      if (s.broken) {
        mismatch(MismatchKind.CONTENT, released, s, "the secondary's stream lost bytes");
        break;
      }
      Chunk sc = s.bytes.peek();
      if (sc == null) {
        if (s.closedAt >= 0 && s.closedAt <= h.offset) {
          mismatch(
              MismatchKind.CLOSE,
              h.offset,
              s,
              "the secondary closed at " + s.closedAt + ", the primary goes on");
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
                + ")");
        break;
      }
      int n = Math.min(h.remaining(), sc.remaining());
      int i = Arrays.mismatch(h.bytes, h.from, h.from + n, sc.bytes, sc.from, sc.from + n);
      int same = i < 0 ? n : i;
      if (same > 0) {
        g.counts.compared += same;
        s.bytes.skip(same);
        g.counts.heldSecondary -= same;
        release(h, same, Release.MATCHED);
      }
      if (i >= 0) {
        mismatch(MismatchKind.CONTENT, released, s, "first differing byte");
        break;
      }
    }
    g.timeouts.update(this, now);
    checkLimit();
  }

  /** The primary's stream is closed at {@link #released}: close the client if that is agreed. */
  private void closeIfMatched(long now) {
    if (state.uncompared() || pClosedInterval <= g.committed) {
      finish();
      g.effects.closeClient(conn);
      return;
    }
    if (is(ConnectionState.HELD) || pClosedInterval > g.compareInterval) {
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
          "the primary closed at " + pClosedAt + ", the secondary goes on");
    } else if (s.closedAt == pClosedAt && !s.broken) {
      finish();
      g.effects.closeClient(conn);
    } else if (s.closedAt >= 0) {
      mismatch(
          MismatchKind.CLOSE,
          Math.min(s.closedAt, pClosedAt),
          s,
          "the replicas closed at different offsets (" + pClosedAt + " and " + s.closedAt + ")");
    }
  }

  enum Release {
    MATCHED,
    COMMITTED,
    SINGLE
  }

  void release(Chunk h, int n, Release why) {
    Chunk out;
    if (n == h.remaining()) {
      p.poll();
      out = h;
    } else {
      out = h.head(n);
      p.skip(n);
    }
    released += n;
    g.counts.heldPrimary -= n;
    switch (why) {
      case MATCHED -> g.counts.releasedMatched += n;
      case COMMITTED -> g.counts.releasedCommitted += n;
      case SINGLE -> g.counts.releasedSingle += n;
    }
    if (g.settings.forensicSide() > 0) {
      recent.released(out, n, g.settings.forensicSide());
    }
    g.effects.release(conn, out);
  }

  /** The outputs diverged: the primary's bytes wait for the commit of the compare interval. */
  private void mismatch(MismatchKind kind, long at, Segment s, String detail) {
    become(ConnectionState.HELD);
    heldInterval = g.compareInterval;
    pendingSince = -1;
    g.effects.mismatch(MismatchReport.of(this, kind, at, s, detail, true));
  }

  // ---- limits --------------------------------------------------------------------

  void checkLimit() {
    long n = buffered();
    if (!overLimit && n > g.settings.heldPerConnection()) {
      overLimit = true;
      g.effects.pressure(conn, true, n);
    } else if (overLimit && n <= g.settings.heldPerConnection() / 2) {
      overLimit = false;
      g.effects.pressure(conn, false, n);
    }
  }

  void closeCapture() {
    if (capture != null) {
      capture.close();
      capture = null;
    }
  }

  void reset(String reason) {
    finish();
    g.effects.resetClient(conn, reason);
  }

  /** The connection is over for the proxy: drop what it holds. */
  void finish() {
    if (is(ConnectionState.FINISHED)) {
      return;
    }
    lastLive = state;
    state = ConnectionState.FINISHED;
    g.counts.heldPrimary -= p.clear();
    g.counts.heldSecondary -= secondary.clear();
    recent.clear();
    closeCapture();
    g.timeouts.forget(this);
    if (overLimit) {
      overLimit = false;
      g.effects.pressure(conn, false, 0);
    }
  }
}
