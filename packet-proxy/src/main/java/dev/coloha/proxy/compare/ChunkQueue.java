package dev.coloha.proxy.compare;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;

/** Chunks of one replica's output for one connection, in stream order, with their byte count. */
public final class ChunkQueue implements Iterable<Chunk> {
  private final ArrayDeque<Chunk> chunks = new ArrayDeque<>(4);
  private long size;

  public void add(Chunk c) {
    if (c.remaining() > 0) {
      chunks.add(c);
      size += c.remaining();
    }
  }

  public Chunk peek() {
    return chunks.peekFirst();
  }

  public Chunk poll() {
    Chunk c = chunks.pollFirst();
    if (c != null) {
      size -= c.remaining();
    }
    return c;
  }

  /** Drops {@code n} bytes from the head (n at most the head chunk's remaining bytes). */
  public void skip(int n) {
    Chunk c = chunks.peekFirst();
    if (n == c.remaining()) {
      chunks.pollFirst();
    } else {
      c.skip(n);
    }
    size -= n;
  }

  /** Drops every byte below stream offset {@code offset}. */
  public long dropBelow(long offset) {
    long dropped = 0;
    while (!chunks.isEmpty()) {
      Chunk c = chunks.peekFirst();
      if (c.end() <= offset) {
        chunks.pollFirst();
        size -= c.remaining();
        dropped += c.remaining();
      } else {
        if (c.offset < offset) {
          int n = (int) (offset - c.offset);
          c.skip(n);
          size -= n;
          dropped += n;
        }
        break;
      }
    }
    return dropped;
  }

  public long clear() {
    long n = size;
    chunks.clear();
    size = 0;
    return n;
  }

  public boolean isEmpty() {
    return chunks.isEmpty();
  }

  /** Bytes queued. */
  public long size() {
    return size;
  }

  /** Stream offset of the first byte, or -1 if empty. */
  public long head() {
    Chunk c = chunks.peekFirst();
    return c == null ? -1 : c.offset;
  }

  /** Up to {@code max} bytes from stream offset {@code at} (or the head, if later), copied. */
  public byte[] copy(long at, int max) {
    byte[] out = new byte[(int) Math.max(0, Math.min(max, size))];
    int n = 0;
    long next = Math.max(at, head());
    for (Chunk c : chunks) {
      if (n == out.length) {
        break;
      }
      if (c.end() <= next) {
        continue;
      }
      byte[] part = c.copy(next, out.length - n);
      System.arraycopy(part, 0, out, n, part.length);
      n += part.length;
      next += part.length;
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  @Override
  public Iterator<Chunk> iterator() {
    return chunks.iterator();
  }
}
