package dev.coloha.mirror.stream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * A stream's read buffer that never asks the socket how many bytes it holds: {@link
 * BufferedInputStream#available()} adds the socket's count, an {@code ioctl(FIONREAD)} per call,
 * and the I/O stream asked it after every request (issue 18: a system call per frame); {@link
 * BufferedInputStream#read(byte[], int, int)} asks it too, after a part of a large read (a held
 * write's data, read straight into its array). Whether more requests are already read decides when
 * replies are flushed ({@link #buffered()}); bytes still in the kernel are read right after the
 * flush.
 */
final class FrameBuffer extends BufferedInputStream {
  FrameBuffer(InputStream in, int size) {
    super(in, size);
  }

  /** Bytes read from the stream and not yet consumed (no system call). */
  synchronized int buffered() {
    return count - pos;
  }

  /**
   * Reads what one read of the socket gives, at most {@code len} bytes: the buffered bytes first,
   * else a large read straight into {@code b}, else one refill of the buffer. Never asks the socket
   * for its count (the caller reads on for the rest of a frame).
   */
  @Override
  public synchronized int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (buf == null) {
      throw new IOException("Stream closed");
    }
    if (len == 0) {
      return 0;
    }
    int held = count - pos;
    if (held <= 0) {
      if (len >= buf.length) {
        return in.read(b, off, len); // as BufferedInputStream: no copy through the buffer
      }
      pos = 0;
      count = 0;
      markpos = -1;
      int n = in.read(buf, 0, buf.length);
      if (n <= 0) {
        return n;
      }
      count = n;
      held = n;
    }
    int n = Math.min(held, len);
    System.arraycopy(buf, pos, b, off, n);
    pos += n;
    return n;
  }
}
