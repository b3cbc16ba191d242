package dev.coloha.wire.http;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A {@link BufferedOutputStream} that does not send what it holds on its own ahead of a large
 * write. The plain one, given a write at least as large as its free space, first writes out what it
 * holds (a checkpoint's frame heads and chunk line, a few dozen bytes) as a write of its own: with
 * {@code TCP_NODELAY} a tiny segment that wakes the reader for nothing, once per run of pages. This
 * one fills its buffer from the large write first and sends it full, then writes the rest directly
 * but for its last half buffer, which it keeps to send with what follows (a checkpoint's closing
 * frames, which would otherwise go alone at the flush). Alternating runs on the build machine: 100
 * pages 420/432 → 401/381 µs end to end, 10,000 pages 32.0/36.3 → 31.3/34.7 ms.
 */
final class CoalescingOutputStream extends BufferedOutputStream {
  CoalescingOutputStream(OutputStream out, int size) {
    super(out, size);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    if (count > 0 && len >= buf.length - count) {
      int fill = buf.length - count;
      System.arraycopy(b, off, buf, count, fill);
      out.write(buf, 0, buf.length);
      count = 0;
      off += fill;
      len -= fill;
    }
    if (len > buf.length) {
      // the tail stays here, to go out with what follows it (a checkpoint's closing frames)
      int direct = len - buf.length / 2;
      out.write(b, off, direct);
      off += direct;
      len -= direct;
    }
    super.write(b, off, len);
  }
}
