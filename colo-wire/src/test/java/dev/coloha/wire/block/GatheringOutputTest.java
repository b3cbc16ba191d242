package dev.coloha.wire.block;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatheringOutputTest {

  /**
   * A channel that records each write call (the system calls a socket channel would make) and takes
   * at most {@code perCall} bytes in one, as a socket with a full buffer does.
   */
  private static final class RecordingChannel implements GatheringByteChannel {
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final List<Integer> calls = new ArrayList<>(); // bytes taken by each call
    final int perCall;
    boolean open = true;

    RecordingChannel(int perCall) {
      this.perCall = perCall;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
      int left = perCall;
      int taken = 0;
      for (int i = offset; i < offset + length && left > 0; i++) {
        int n = Math.min(left, srcs[i].remaining());
        byte[] b = new byte[n];
        srcs[i].get(b);
        received.writeBytes(b);
        left -= n;
        taken += n;
      }
      calls.add(taken);
      return taken;
    }

    @Override
    public long write(ByteBuffer[] srcs) {
      return write(srcs, 0, srcs.length);
    }

    @Override
    public int write(ByteBuffer src) {
      return (int) write(new ByteBuffer[] {src});
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      open = false;
    }
  }

  private static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (seed + i * 31);
    }
    return b;
  }

  @Test
  void aWriteLargerThanTheRoomGoesOutWithTheBufferedBytesInOneCall() throws Exception {
    RecordingChannel ch = new RecordingChannel(Integer.MAX_VALUE);
    GatheringOutput out = new GatheringOutput(ch, 64);
    byte[] head = bytes(21, 1); // a frame's head and fields
    byte[] data = bytes(4096, 7); // its data, larger than the buffer
    out.write(head, 0, head.length);
    assertThat(ch.calls).isEmpty(); // buffered
    out.write(data, 0, data.length);

    // one system call for the whole frame, not one for the head and one for the data
    assertThat(ch.calls).containsExactly(head.length + data.length);
    byte[] expected = Arrays.copyOf(head, head.length + data.length);
    System.arraycopy(data, 0, expected, head.length, data.length);
    assertThat(ch.received.toByteArray()).isEqualTo(expected);
    assertThat(out.buffered()).isZero();
  }

  @Test
  void smallWritesWaitForTheFlushAndKeepTheirOrderAroundALargeOne() throws Exception {
    RecordingChannel ch = new RecordingChannel(Integer.MAX_VALUE);
    GatheringOutput out = new GatheringOutput(ch, 64);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    for (int i = 0; i < 5; i++) {
      byte[] small = bytes(10, i);
      out.write(small, 0, small.length);
      expected.writeBytes(small);
    }
    out.write(0x55);
    expected.write(0x55);
    assertThat(ch.calls).isEmpty();
    byte[] large = bytes(100, 9);
    out.write(large, 3, 90); // an offset into the caller's array
    expected.write(large, 3, 90);
    byte[] tail = bytes(12, 4);
    out.write(tail, 0, tail.length);
    expected.writeBytes(tail);
    assertThat(ch.calls).hasSize(1);
    out.flush();
    out.flush(); // nothing buffered: no call

    assertThat(ch.calls).containsExactly(51 + 90, 12);
    assertThat(ch.received.toByteArray()).isEqualTo(expected.toByteArray());
  }

  @Test
  void aChannelThatTakesPartOfTheBytesIsWrittenUntilItHasThemAll() throws Exception {
    RecordingChannel ch = new RecordingChannel(1000);
    GatheringOutput out = new GatheringOutput(ch, 64);
    byte[] head = bytes(30, 2);
    byte[] data = bytes(5000, 3);
    out.write(head, 0, head.length);
    out.write(data, 0, data.length);
    byte[] more = bytes(50, 5);
    out.write(more, 0, more.length);
    out.close();

    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes(head);
    expected.writeBytes(data);
    expected.writeBytes(more);
    assertThat(ch.received.toByteArray()).isEqualTo(expected.toByteArray());
    assertThat(ch.calls).containsExactly(1000, 1000, 1000, 1000, 1000, 30, 50);
    assertThat(ch.isOpen()).isFalse();
  }
}
