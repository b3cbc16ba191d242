package dev.coloha.proxy.compare;

/**
 * A run of one replica's output bytes for one connection: {@code bytes[from, to)} is the stream at
 * offsets {@code [offset, offset + remaining())}, produced in output interval {@code interval}. The
 * array is never copied or changed; consuming a chunk only moves {@code from} and {@code offset}.
 */
public final class Chunk {
  final byte[] bytes;
  int from;
  final int to;
  long offset;
  final long interval;
  final long arrivalNanos;

  public Chunk(byte[] bytes, int from, int to, long offset, long interval, long arrivalNanos) {
    if (from < 0 || to > bytes.length || from > to || offset < 0) {
      throw new IllegalArgumentException("bad chunk bounds");
    }
    this.bytes = bytes;
    this.from = from;
    this.to = to;
    this.offset = offset;
    this.interval = interval;
    this.arrivalNanos = arrivalNanos;
  }

  public Chunk(byte[] bytes, long offset, long interval, long arrivalNanos) {
    this(bytes, 0, bytes.length, offset, interval, arrivalNanos);
  }

  public byte[] array() {
    return bytes;
  }

  public int from() {
    return from;
  }

  public int remaining() {
    return to - from;
  }

  /** Stream offset of the first remaining byte. */
  public long offset() {
    return offset;
  }

  /** Stream offset just past the last byte. */
  public long end() {
    return offset + (to - from);
  }

  public long interval() {
    return interval;
  }

  /** {@link System#nanoTime()} when the chunk arrived at the proxy. */
  public long arrivalNanos() {
    return arrivalNanos;
  }

  /** Drops the first {@code n} bytes. */
  void skip(int n) {
    from += n;
    offset += n;
  }

  /** A view of the first {@code n} remaining bytes (same array, no copy). */
  Chunk head(int n) {
    return new Chunk(bytes, from, from + n, offset, interval, arrivalNanos);
  }

  /** A copy of up to {@code max} bytes starting at stream offset {@code at} (inside this chunk). */
  byte[] copy(long at, int max) {
    int start = from + (int) (at - offset);
    int n = Math.min(max, to - start);
    byte[] out = new byte[Math.max(0, n)];
    if (n > 0) {
      System.arraycopy(bytes, start, out, 0, n);
    }
    return out;
  }
}
