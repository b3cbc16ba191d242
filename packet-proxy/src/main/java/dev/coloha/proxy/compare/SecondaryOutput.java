package dev.coloha.proxy.compare;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The secondary's output of one connection, one segment per interval: a checkpoint repositions the
 * secondary's output (its interval N+1 starts again at the primary's offset at the pause), so its
 * offsets only mean the same as the primary's within one interval. Segments are kept in ascending
 * interval order; only those after the last commit are kept.
 */
final class SecondaryOutput {
  /** The secondary's output of one interval for this connection. */
  static final class Segment {
    final long interval;
    final ChunkQueue bytes = new ChunkQueue();
    long next;
    long closedAt = -1;

    /** Bytes were lost (a stream reconnected): this segment can never match. */
    boolean broken;

    Segment(long interval, long start) {
      this.interval = interval;
      this.next = start;
    }
  }

  private final ArrayDeque<Segment> segments = new ArrayDeque<>(2);

  /** The segment of {@code interval}, new (from {@code start}) if there is none yet. */
  Segment segment(long interval, long start, long brokenThrough) {
    Segment last = segments.peekLast();
    if (last != null && last.interval == interval) {
      return last;
    }
    Segment found = of(interval);
    if (found != null) {
      return found;
    }
    Segment s = new Segment(interval, start);
    s.broken = interval <= brokenThrough;
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

  /** The segment of {@code interval}, or null. */
  Segment of(long interval) {
    for (Segment s : segments) {
      if (s.interval == interval) {
        return s;
      }
    }
    return null;
  }

  /** Bytes kept, in every segment. */
  long bytes() {
    long n = 0;
    for (Segment s : segments) {
      n += s.bytes.size();
    }
    return n;
  }

  /** Segments of intervals up to {@code through} can no longer be trusted to match. */
  void markBroken(long through) {
    for (Segment s : segments) {
      if (s.interval <= through) {
        s.broken = true;
      }
    }
  }

  /** Drops the segments of intervals up to {@code sequence}; returns the bytes dropped. */
  long dropThrough(long sequence) {
    long dropped = 0;
    for (Iterator<Segment> it = segments.iterator(); it.hasNext(); ) {
      Segment s = it.next();
      if (s.interval <= sequence) {
        dropped += s.bytes.clear();
        it.remove();
      }
    }
    return dropped;
  }

  /**
   * Forgets every segment; the bytes of all but {@code kept} (which keeps its bytes) are dropped.
   *
   * @return the bytes dropped
   */
  long clearExcept(Segment kept) {
    long dropped = 0;
    for (Segment s : segments) {
      if (s != kept) {
        dropped += s.bytes.clear();
      }
    }
    segments.clear();
    return dropped;
  }

  /** Forgets every segment; returns the bytes dropped. */
  long clear() {
    return clearExcept(null);
  }
}
