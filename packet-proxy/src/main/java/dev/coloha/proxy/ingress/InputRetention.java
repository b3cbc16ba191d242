package dev.coloha.proxy.ingress;

import dev.coloha.wire.io.IoFrame;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One connection's client input kept since the last commit's consumed offset, as the DATA frames
 * that were sent (so that replaying them to an agent repeats the same frame boundaries). A
 * secondary attached later is fed from here. Not thread-safe: the connection's input lock guards
 * it.
 */
public final class InputRetention {
  private final int conn;
  private final ArrayDeque<IoFrame.Data> frames = new ArrayDeque<>();
  private long start;
  private long end;
  private long bytes;

  public InputRetention(int conn) {
    this.conn = conn;
  }

  public void add(IoFrame.Data d) {
    if (d.offset() != end) {
      throw new IllegalStateException("retained input must be contiguous");
    }
    if (frames.isEmpty()) {
      start = d.offset();
    }
    frames.add(d);
    end = d.offset() + d.bytes().length;
    bytes += d.bytes().length;
  }

  /** Drops input below {@code offset} (a commit says the primary consumed it); bytes freed. */
  public long trim(long offset) {
    long freed = 0;
    while (!frames.isEmpty()) {
      IoFrame.Data d = frames.peekFirst();
      long dEnd = d.offset() + d.bytes().length;
      if (dEnd <= offset) {
        frames.pollFirst();
        freed += d.bytes().length;
      } else {
        if (d.offset() < offset) {
          int skip = (int) (offset - d.offset());
          frames.pollFirst();
          frames.addFirst(
              new IoFrame.Data(
                  conn, offset, Arrays.copyOfRange(d.bytes(), skip, d.bytes().length)));
          freed += skip;
        }
        break;
      }
    }
    start = Math.max(start, Math.min(offset, end));
    bytes -= freed;
    return freed;
  }

  /** Keeps at most {@code max} bytes, dropping the oldest (single-replica mode); bytes freed. */
  public long keepAtMost(long max) {
    long freed = 0;
    while (bytes - freed > max && !frames.isEmpty()) {
      IoFrame.Data d = frames.pollFirst();
      freed += d.bytes().length;
      start = d.offset() + d.bytes().length;
    }
    bytes -= freed;
    return freed;
  }

  /** The retained frames from {@code offset} on, or null if input before that is gone. */
  public List<IoFrame.Data> from(long offset) {
    if (offset < start) {
      return null;
    }
    List<IoFrame.Data> out = new ArrayList<>();
    for (IoFrame.Data d : frames) {
      long dEnd = d.offset() + d.bytes().length;
      if (dEnd <= offset) {
        continue;
      }
      if (d.offset() < offset) {
        int skip = (int) (offset - d.offset());
        out.add(
            new IoFrame.Data(conn, offset, Arrays.copyOfRange(d.bytes(), skip, d.bytes().length)));
      } else {
        out.add(d);
      }
    }
    return out;
  }

  /** Offset of the first retained byte. */
  public long start() {
    return start;
  }

  /** Offset just past the last input byte. */
  public long end() {
    return end;
  }

  public long bytes() {
    return bytes;
  }

  /** Forgets everything (the connection is over); bytes freed. */
  public long clear() {
    long n = bytes;
    frames.clear();
    start = end;
    bytes = 0;
    return n;
  }
}
