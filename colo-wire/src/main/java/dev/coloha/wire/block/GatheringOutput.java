package dev.coloha.wire.block;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;

/**
 * A buffered stream onto a blocking socket channel whose large writes take the buffered bytes with
 * them: bytes that do not fit the buffer's room go out together with what is buffered, in one
 * gathering write ({@code writev}), instead of a write of the buffer followed by one of the bytes.
 * On the I/O stream's Unix-domain socket a held write's frame (its head buffered, then tens of KiB
 * of data) is then one system call for the VM's thread and arrives whole for the mirror's stream
 * thread, which would otherwise wake for the head and again for the data (issue 18). Small writes
 * are buffered as by {@link java.io.BufferedOutputStream}; {@link #flush()} writes the buffer.
 *
 * <p>Not thread-safe: {@link BlockClient} writes under its own lock.
 */
final class GatheringOutput extends OutputStream {
  private final GatheringByteChannel channel;
  private final byte[] buf;
  private int count;
  private final ByteBuffer[] pair = new ByteBuffer[2];
  private boolean sent; // a write larger than the room went out since the last sentSince()

  GatheringOutput(GatheringByteChannel channel, int size) {
    this.channel = channel;
    this.buf = new byte[size];
  }

  @Override
  public void write(int b) throws IOException {
    if (count == buf.length) {
      flush();
    }
    buf[count++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (len <= buf.length - count) {
      System.arraycopy(b, off, buf, count, len);
      count += len;
      return;
    }
    pair[0] = ByteBuffer.wrap(buf, 0, count);
    pair[1] = ByteBuffer.wrap(b, off, len);
    count = 0;
    sent = true;
    try {
      writeFully(pair);
    } finally {
      pair[0] = null;
      pair[1] = null;
    }
  }

  /** Writes the buffered bytes (the socket needs no flush of its own). */
  @Override
  public void flush() throws IOException {
    if (count > 0) {
      ByteBuffer b = ByteBuffer.wrap(buf, 0, count);
      count = 0;
      while (b.hasRemaining()) {
        channel.write(b);
      }
    }
  }

  @Override
  public void close() throws IOException {
    try {
      flush();
    } finally {
      channel.close();
    }
  }

  /**
   * Whether a write larger than the buffer's room went onto the channel (with the bytes buffered
   * before it) since the last call; {@link #flush()} does not count (its caller knows).
   */
  boolean sentSince() {
    boolean s = sent;
    sent = false;
    return s;
  }

  /** Bytes waiting in the buffer (for tests). */
  int buffered() {
    return count;
  }

  private void writeFully(ByteBuffer[] bufs) throws IOException {
    while (bufs[bufs.length - 1].hasRemaining()) {
      channel.write(bufs);
    }
  }
}
