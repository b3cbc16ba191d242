package dev.coloha.microvm.conn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Input bytes of one connection, addressed by absolute stream offset. Bytes are kept from {@link
 * #start()} to {@link #end()}; a reader can rewind to any offset still kept. A primary trims as it
 * consumes; a secondary keeps everything since the last applied checkpoint so that it can
 * reposition to the primary's consumed offset.
 */
final class InputJournal {
  private record Chunk(long offset, byte[] bytes) {
    long end() {
      return offset + bytes.length;
    }
  }

  private final List<Chunk> chunks = new ArrayList<>();
  private int head; // index of the first live chunk in chunks
  private long start;
  private long end;

  InputJournal(long start) {
    this.start = start;
    this.end = start;
  }

  long start() {
    return start;
  }

  long end() {
    return end;
  }

  long size() {
    return end - start;
  }

  /** Appends bytes at {@link #end()}. */
  void append(byte[] bytes) {
    if (bytes.length > 0) {
      chunks.add(new Chunk(end, bytes));
      end += bytes.length;
    }
  }

  /** Forgets everything and restarts empty at {@code offset}. */
  void reset(long offset) {
    chunks.clear();
    head = 0;
    start = offset;
    end = offset;
  }

  /** Copies up to {@code max} bytes starting at {@code from} (start <= from <= end). */
  byte[] read(long from, int max) {
    if (from < start || from > end) {
      throw new IllegalArgumentException(
          "offset " + from + " outside journal " + start + ".." + end);
    }
    int length = (int) Math.min(max, end - from);
    byte[] out = new byte[length];
    int i = find(from);
    int done = 0;
    while (done < length) {
      Chunk c = chunks.get(i++);
      int at = (int) (from + done - c.offset);
      int n = Math.min(length - done, c.bytes.length - at);
      System.arraycopy(c.bytes, at, out, done, n);
      done += n;
    }
    return out;
  }

  /** Drops bytes before {@code offset} (clamped to the journal). */
  void trim(long offset) {
    long to = Math.min(Math.max(offset, start), end);
    while (head < chunks.size() && chunks.get(head).end() <= to) {
      head++;
    }
    start = to;
    if (head > 64 && head * 2 > chunks.size()) {
      chunks.subList(0, head).clear();
      head = 0;
    }
    if (head == chunks.size()) {
      chunks.clear();
      head = 0;
    }
  }

  private int find(long offset) {
    int lo = head;
    int hi = chunks.size() - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (chunks.get(mid).offset <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  @Override
  public String toString() {
    return "InputJournal[" + start + ".." + end + " in " + (chunks.size() - head) + " chunks]";
  }

  // for tests
  byte[] all() {
    return start == end
        ? new byte[0]
        : Arrays.copyOf(read(start, (int) (end - start)), (int) (end - start));
  }
}
