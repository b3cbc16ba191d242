package dev.coloha.proxy.compare;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * One connection's most recently released chunks, kept by reference: the released side of a
 * mismatch's forensic window ({@code colo.proxy.forensics.window} bytes at most, plus one chunk).
 */
final class RecentOutput implements Iterable<Chunk> {
  private final ArrayDeque<Chunk> chunks = new ArrayDeque<>(4);
  private long bytes;

  /** {@code n} bytes were released as {@code out}; keep the last {@code window} bytes. */
  void released(Chunk out, int n, long window) {
    chunks.add(out);
    bytes += n;
    while (bytes - chunks.peekFirst().remaining() >= window) {
      bytes -= chunks.pollFirst().remaining();
    }
  }

  void clear() {
    chunks.clear();
    bytes = 0;
  }

  @Override
  public Iterator<Chunk> iterator() {
    return chunks.iterator();
  }
}
