package dev.coloha.wire.checkpoint;

import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.frame.PayloadBuilder;
import java.io.IOException;

/** Serialises a {@link Checkpoint} as HEADER, PAGES*, GLOBALS, DEVICE, TRAILER frames. */
public final class CheckpointWriter {
  private final int maxRunPages;

  public CheckpointWriter(int maxRunPages) {
    if (maxRunPages < 1) {
      throw new IllegalArgumentException("maxRunPages must be positive");
    }
    this.maxRunPages = maxRunPages;
  }

  /**
   * Writes the checkpoint. Page data goes straight from the checkpoint's array to the stream.
   *
   * @return bytes written
   */
  public long write(Checkpoint cp, FrameOutput out) throws IOException {
    long start = out.bytesWritten();
    out.resetChecksum();
    out.frame(CheckpointFrame.HEADER, header(cp.header()));

    int[] idx = cp.pageIndices();
    int runs = 0;
    byte[] runHead = new byte[8];
    int i = 0;
    while (i < idx.length) {
      int j = i + 1;
      while (j < idx.length && j - i < maxRunPages && idx[j] == idx[j - 1] + 1) {
        j++;
      }
      int count = j - i;
      putInt(runHead, 0, idx[i]);
      putInt(runHead, 4, count);
      out.begin(CheckpointFrame.PAGES, 8 + count * Checkpoint.PAGE_SIZE);
      out.body(runHead, 0, 8);
      out.body(cp.pageData(), i * Checkpoint.PAGE_SIZE, count * Checkpoint.PAGE_SIZE);
      runs++;
      i = j;
    }

    PayloadBuilder g = new PayloadBuilder(4 + cp.globals().size() * 21);
    g.i32(cp.globals().size());
    for (GlobalValue v : cp.globals()) {
      g.i32(v.index()).u8(v.type()).i64(v.low()).i64(v.high());
    }
    out.frame(CheckpointFrame.GLOBALS, g.array(), 0, g.size());

    PayloadBuilder d = device(cp.device());
    out.frame(CheckpointFrame.DEVICE, d.array(), 0, d.size());

    long before = out.bytesWritten() - start;
    PayloadBuilder t = new PayloadBuilder(24);
    t.i32(idx.length).i32(runs).i64(before).i32(out.checksum());
    out.frame(CheckpointFrame.TRAILER, t.toByteArray());
    return out.bytesWritten() - start;
  }

  static byte[] header(CheckpointHeader h) {
    PayloadBuilder b = new PayloadBuilder(96);
    b.i32(CheckpointFrame.MAGIC)
        .u16(CheckpointFrame.FORMAT_VERSION)
        .u16(h.full() ? 1 : 0)
        .i64(h.epoch())
        .i64(h.sequence())
        .i64(h.baseSequence())
        .i32(h.memoryPages())
        .i32(h.pageCount())
        .i32(Checkpoint.PAGE_SIZE)
        .utf8(h.guest())
        .bytes(h.moduleHash());
    return b.toByteArray();
  }

  static PayloadBuilder device(DeviceState s) {
    PayloadBuilder d = new PayloadBuilder(64 + s.connections().size() * 24 + s.guestState().length);
    d.i64(s.interval()).i64(s.diskBarrier());
    d.i32(s.connections().size());
    for (ConnectionState c : s.connections()) {
      int flags = (c.opened() ? 1 : 0) | (c.guestClosed() ? 2 : 0);
      d.i32(c.id()).u8(flags).i64(c.inputConsumed()).i64(c.outputProduced());
    }
    d.i32(s.closedConnections().size());
    for (int id : s.closedConnections()) {
      d.i32(id);
    }
    d.i32(s.timers().size());
    for (TimerState t : s.timers()) {
      d.i32(t.id()).i64(t.remainingNanos());
    }
    if (s.guestState().length > 0) {
      d.i32(s.guestState().length).bytes(s.guestState());
    }
    return d;
  }

  private static void putInt(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }
}
