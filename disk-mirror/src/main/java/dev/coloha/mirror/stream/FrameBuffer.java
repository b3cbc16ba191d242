package dev.coloha.mirror.stream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.Objects;

/**
 * A stream's read buffer that never asks the socket how many bytes it holds: {@link
 * BufferedInputStream#available()} adds the socket's count, an {@code ioctl(FIONREAD)} per call,
 * and the I/O stream asked it after every request (issue 18: a system call per frame); {@link
 * BufferedInputStream#read(byte[], int, int)} asks it too, after a part of a large read (a held
 * write's data, read straight into its array). Whether more requests are already read decides when
 * replies are flushed ({@link #buffered()}); bytes still in the kernel are read right after the
 * flush.
 *
 * <p>On a socket channel it can also look for the next bytes without sleeping for a while ({@link
 * #pollForMore()}), before the next read sleeps in the kernel.
 */
final class FrameBuffer extends BufferedInputStream {
  private final SocketChannel channel; // null: not a socket this buffer may poll
  private final long pollNanos;
  private long polledBytes; // reads by polling that found bytes (for tests)

  FrameBuffer(InputStream in, int size) {
    super(in, size);
    this.channel = null;
    this.pollNanos = 0;
  }

  /**
   * A buffer reading the blocking {@code channel}, which {@link #pollForMore()} polls for up to
   * {@code poll}.
   */
  FrameBuffer(SocketChannel channel, int size, java.time.Duration poll) {
    super(Channels.newInputStream(channel), size);
    this.channel = channel;
    this.pollNanos = poll.toNanos();
  }

  /**
   * When nothing is buffered: looks at the socket without blocking, yielding the CPU between looks,
   * until bytes come (they are buffered), the stream ends or the poll time is up. The thread that
   * reads and writes the stream calls it (the channel is non-blocking only during each look); a
   * sleeping reader's wake-up on an idle CPU of a virtual machine costs tens of µs (issue 18).
   */
  synchronized void pollForMore() throws IOException {
    if (channel == null || pollNanos <= 0 || count - pos > 0) {
      return;
    }
    long until = System.nanoTime() + pollNanos;
    pos = 0;
    count = 0;
    markpos = -1;
    ByteBuffer into = ByteBuffer.wrap(buf);
    while (true) {
      int n;
      channel.configureBlocking(false);
      try {
        n = channel.read(into);
      } finally {
        channel.configureBlocking(true);
      }
      if (n > 0) {
        count = n;
        polledBytes++;
        return;
      }
      if (n < 0 || System.nanoTime() - until >= 0) {
        return; // the end: the blocking read that follows sees it too
      }
      Thread.yield();
    }
  }

  /** Polls that found bytes (for tests). */
  synchronized long polled() {
    return polledBytes;
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
