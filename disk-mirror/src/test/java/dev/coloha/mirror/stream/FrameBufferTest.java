package dev.coloha.mirror.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.wire.block.BlockFrame;
import dev.coloha.wire.block.BlockFrameCodec;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameBufferTest {

  /**
   * A socket's stream as the mirror sees it: each read returns at most {@code chunk} bytes (what
   * has arrived so far), and every {@link #available()} is counted: on a socket it is an {@code
   * ioctl(FIONREAD)}.
   */
  private static final class SocketLike extends InputStream {
    private final byte[] bytes;
    private final int chunk;
    private int at;
    int availableCalls;
    int reads;

    SocketLike(byte[] bytes, int chunk) {
      this.bytes = bytes;
      this.chunk = chunk;
    }

    @Override
    public int read() {
      reads++;
      return at < bytes.length ? bytes[at++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      reads++;
      if (at == bytes.length) {
        return -1;
      }
      int n = Math.min(Math.min(len, chunk), bytes.length - at);
      System.arraycopy(bytes, at, b, off, n);
      at += n;
      return n;
    }

    @Override
    public int available() {
      availableCalls++;
      return Math.min(chunk, bytes.length - at);
    }
  }

  private static byte[] data(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (seed * 13 + i);
    }
    return b;
  }

  @Test
  void framesLargerThanTheBufferAreReadWholeWithoutAskingTheSocketForItsCount() throws IOException {
    List<BlockFrame> sent = new ArrayList<>();
    sent.add(new BlockFrame.Write(1, 0, data(512, 1)));
    sent.add(new BlockFrame.Write(2, 512, data(70_000, 2))); // larger than the 64 KiB buffer
    sent.add(new BlockFrame.Flush(3));
    sent.add(new BlockFrame.Write(4, 4096, data(3000, 4)));
    sent.add(new BlockFrame.Write(5, 8192, data(200_000, 5)));
    sent.add(new BlockFrame.Barrier(6, 9));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    FrameOutput out = new FrameOutput(bytes);
    BlockFrameCodec codec = new BlockFrameCodec();
    for (BlockFrame f : sent) {
      codec.write(f, out);
    }

    // the socket hands over 10,000 bytes at a time: large reads come in parts
    SocketLike socket = new SocketLike(bytes.toByteArray(), 10_000);
    FrameBuffer buffer = new FrameBuffer(socket, 1 << 16);
    FrameInput in = new FrameInput(buffer, 1 << 20);
    List<BlockFrame> received = new ArrayList<>();
    for (BlockFrame f = codec.read(in); f != null; f = codec.read(in)) {
      received.add(f);
      assertThat(buffer.buffered()).isGreaterThanOrEqualTo(0);
    }

    assertThat(received).hasSize(sent.size());
    for (int i = 0; i < sent.size(); i++) {
      if (sent.get(i) instanceof BlockFrame.Write w) {
        BlockFrame.Write r = (BlockFrame.Write) received.get(i);
        assertThat(r.id()).isEqualTo(w.id());
        assertThat(r.offset()).isEqualTo(w.offset());
        assertThat(r.data()).isEqualTo(w.data());
      } else {
        assertThat(received.get(i)).isEqualTo(sent.get(i));
      }
    }
    // BufferedInputStream asks the socket after a part of a large read: a system call per frame
    assertThat(socket.availableCalls).isZero();
  }

  @Test
  void smallReadsAreServedFromTheBufferAndBufferedCountsWhatIsLeft() throws IOException {
    byte[] all = data(1000, 3);
    SocketLike socket = new SocketLike(all, 600);
    FrameBuffer buffer = new FrameBuffer(socket, 256);
    byte[] got = new byte[1000];
    int n = buffer.read(got, 0, 100); // one refill of 256 bytes
    assertThat(n).isEqualTo(100);
    assertThat(buffer.buffered()).isEqualTo(156);
    n += buffer.read(got, n, 900); // what is buffered, no read of the socket
    assertThat(n).isEqualTo(256);
    assertThat(socket.reads).isEqualTo(1);
    while (n < got.length) {
      int r = buffer.read(got, n, got.length - n); // large: straight from the socket
      assertThat(r).isPositive();
      n += r;
    }
    assertThat(got).isEqualTo(all);
    assertThat(buffer.read(got, 0, 10)).isEqualTo(-1);
    assertThat(buffer.read(got, 0, 0)).isZero();
    assertThat(socket.availableCalls).isZero();
  }
}
