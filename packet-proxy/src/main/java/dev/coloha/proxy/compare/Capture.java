package dev.coloha.proxy.compare;

import java.util.ArrayList;
import java.util.List;

/**
 * The forensic window of one mismatch: up to {@code sideLimit} bytes both replicas produced
 * identically before the divergence, and up to {@code sideLimit} bytes of each replica from the
 * divergence on. Bytes that arrive after the mismatch are added until the side is full or the
 * capture is closed (at the commit that resolves the mismatch). Thread-safe.
 */
public final class Capture {
  /** Bytes at stream offset {@code offset}, arrived at {@code arrivalNanos} (System.nanoTime). */
  public record Run(long offset, byte[] bytes, long arrivalNanos) {}

  /** A consistent copy of what was captured. */
  public record Window(long divergence, List<Run> before, List<Run> primary, List<Run> secondary) {}

  private final long divergence;
  private final int sideLimit;
  private final List<Run> before = new ArrayList<>();
  private final List<Run> primary = new ArrayList<>();
  private final List<Run> secondary = new ArrayList<>();
  private int primaryBytes;
  private int secondaryBytes;
  private boolean closed;

  private Capture(long divergence, int sideLimit) {
    this.divergence = divergence;
    this.sideLimit = sideLimit;
  }

  /**
   * Starts a capture at {@code divergence}.
   *
   * @param recent the connection's most recently released chunks (identical in both replicas)
   * @param p the primary's unreleased bytes
   * @param s the secondary's bytes of the interval (may be null)
   */
  static Capture start(
      long divergence, int sideLimit, Iterable<Chunk> recent, ChunkQueue p, ChunkQueue s) {
    Capture c = new Capture(divergence, sideLimit);
    List<Run> tail = new ArrayList<>();
    for (Chunk r : recent) {
      long from = Math.max(r.offset, divergence - sideLimit);
      long to = Math.min(r.end(), divergence);
      if (from < to) {
        tail.add(new Run(from, r.copy(from, (int) (to - from)), r.arrivalNanos));
      }
    }
    c.before.addAll(tail);
    for (Chunk x : p) {
      c.primary(x);
    }
    if (s != null) {
      for (Chunk x : s) {
        c.secondary(x);
      }
    }
    return c;
  }

  synchronized void primary(Chunk c) {
    primaryBytes = add(primary, primaryBytes, c);
  }

  synchronized void secondary(Chunk c) {
    secondaryBytes = add(secondary, secondaryBytes, c);
  }

  private int add(List<Run> runs, int have, Chunk c) {
    if (closed || have >= sideLimit || c.end() <= divergence) {
      return have;
    }
    long from = Math.max(c.offset, divergence);
    byte[] bytes = c.copy(from, sideLimit - have);
    if (bytes.length > 0) {
      runs.add(new Run(from, bytes, c.arrivalNanos));
    }
    return have + bytes.length;
  }

  /** No more bytes are added (the mismatch was resolved). */
  synchronized void close() {
    closed = true;
  }

  public synchronized Window window() {
    return new Window(
        divergence, List.copyOf(before), List.copyOf(primary), List.copyOf(secondary));
  }
}
