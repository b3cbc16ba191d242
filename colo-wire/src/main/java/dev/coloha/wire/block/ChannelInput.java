package dev.coloha.wire.block;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * A buffered stream from a blocking socket channel that can also tell, without blocking, whether
 * the peer has ended the stream while nobody was reading it ({@link #probe()}). The I/O stream's
 * Unix-domain socket reads through it: its reader changes hands between the client's reply thread
 * and the callers waiting for a reply, and nobody reads while nothing is awaited (issue 18).
 *
 * <p>Not thread-safe: {@link BlockClient} lets one thread at a time read.
 */
final class ChannelInput extends InputStream {
  private final SocketChannel channel;
  private final ByteBuffer buf;

  ChannelInput(SocketChannel channel, int size) {
    this.channel = channel;
    this.buf = ByteBuffer.allocate(size).flip(); // empty, in read mode
  }

  @Override
  public int read() throws IOException {
    if (!buf.hasRemaining() && !fill()) {
      return -1;
    }
    return buf.get() & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!buf.hasRemaining()) {
      if (len >= buf.capacity()) {
        return channel.read(ByteBuffer.wrap(b, off, len)); // large: straight into the caller's
      }
      if (!fill()) {
        return -1;
      }
    }
    int n = Math.min(len, buf.remaining());
    buf.get(b, off, n);
    return n;
  }

  /** Bytes already read from the socket and not yet taken (no system call). */
  @Override
  public int available() {
    return buf.remaining();
  }

  /**
   * Looks at the socket without blocking (the caller makes sure no other thread reads or writes it
   * meanwhile).
   *
   * @return -1 if the peer ended the stream, 1 if bytes are ready to read, 0 if none
   */
  int probe() throws IOException {
    if (buf.hasRemaining()) {
      return 1;
    }
    int n;
    channel.configureBlocking(false);
    try {
      buf.clear();
      n = channel.read(buf);
      buf.flip();
    } finally {
      channel.configureBlocking(true);
    }
    return n < 0 ? -1 : n > 0 ? 1 : 0;
  }

  private boolean fill() throws IOException {
    buf.clear();
    int n;
    do {
      n = channel.read(buf);
    } while (n == 0);
    buf.flip();
    return n > 0;
  }
}
