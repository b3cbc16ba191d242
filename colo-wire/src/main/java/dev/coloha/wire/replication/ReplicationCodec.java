package dev.coloha.wire.replication;

import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.checkpoint.Checkpoint;
import dev.coloha.wire.checkpoint.CheckpointFrame;
import dev.coloha.wire.frame.FrameHead;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.frame.Payload;
import dev.coloha.wire.frame.PayloadBuilder;
import java.io.IOException;

/**
 * Encodes and decodes {@link ReplicationFrame}s. Reading stops at a checkpoint's HEADER frame and
 * hands it back as {@link CheckpointStart}, so that the caller reads the checkpoint with a {@code
 * CheckpointReader}.
 */
public final class ReplicationCodec {
  public static final int HELLO = 0x40;
  public static final int PRECOPY = 0x41;
  public static final int VERIFY = 0x42;
  public static final int READY = 0x50;
  public static final int ACK = 0x51;
  public static final int HEARTBEAT = 0x30;
  public static final int ERROR = 0x7e;
  public static final int END = 0x7f;

  /** The next thing on the stream is a checkpoint whose HEADER frame head is {@code head}. */
  public record CheckpointStart(FrameHead head) {}

  private final PayloadBuilder b = new PayloadBuilder(128);

  public void write(ReplicationFrame f, FrameOutput out) throws IOException {
    b.reset();
    switch (f) {
      case ReplicationFrame.Hello h ->
          out.frame(
              HELLO,
              b.i64(h.epoch()).utf8(h.vm()).utf8(h.guest()).bytes(h.moduleHash()).toByteArray());
      case ReplicationFrame.Ready r -> out.frame(READY, b.i64(r.lastApplied()).toByteArray());
      case ReplicationFrame.Precopy p -> {
        b.i32(p.round()).i32(p.memoryPages()).i32(p.firstPage()).i32(p.count());
        out.begin(PRECOPY, b.size() + p.count() * Checkpoint.PAGE_SIZE);
        out.body(b.array(), 0, b.size());
        out.body(p.data(), p.offset(), p.count() * Checkpoint.PAGE_SIZE);
      }
      case ReplicationFrame.Verify v -> out.frame(VERIFY, b.i64(v.sequence()).toByteArray());
      case ReplicationFrame.Ack a ->
          out.frame(
              ACK,
              b.i64(a.sequence())
                  .i64(a.receiveNanos())
                  .i64(a.applyNanos())
                  .u8(a.digest().length)
                  .bytes(a.digest())
                  .toByteArray());
      case ReplicationFrame.Heartbeat h ->
          out.frame(HEARTBEAT, b.i64(h.epoch()).i64(h.sequence()).toByteArray());
      case ReplicationFrame.Error e ->
          out.frame(ERROR, b.utf8(cut(e.type())).utf8(cut(e.message())).toByteArray());
      case ReplicationFrame.End e -> out.frame(END, new byte[0]);
    }
  }

  /**
   * Reads the next frame: a {@link ReplicationFrame}, a {@link CheckpointStart}, or null at a clean
   * end of the underlying stream.
   *
   * @param maxRunPages largest PRECOPY run accepted
   */
  public Object read(FrameInput in, int maxRunPages) throws IOException {
    FrameHead h = in.next();
    if (h == null) {
      return null;
    }
    if (h.type() == CheckpointFrame.HEADER) {
      return new CheckpointStart(h);
    }
    if (h.type() == PRECOPY) {
      byte[] head = new byte[16];
      if (h.length() < 16) {
        throw new CorruptStreamException("PRECOPY frame too short");
      }
      in.body(head, 0, 16);
      Payload p = new Payload(head);
      int round = p.i32();
      int memoryPages = p.i32();
      int first = p.i32();
      int count = p.i32();
      if (count <= 0
          || count > maxRunPages
          || (long) count * Checkpoint.PAGE_SIZE != h.length() - 16L) {
        throw new CorruptStreamException("PRECOPY frame with bad count " + count);
      }
      if (first < 0
          || memoryPages < 0
          || (long) first + count > (long) memoryPages * Checkpoint.PAGES_PER_WASM_PAGE) {
        throw new CorruptStreamException("PRECOPY run " + first + "+" + count + " beyond memory");
      }
      byte[] data = new byte[count * Checkpoint.PAGE_SIZE];
      in.body(data, 0, data.length);
      return new ReplicationFrame.Precopy(round, memoryPages, first, count, data, 0);
    }
    Payload p = new Payload(in.body(h));
    ReplicationFrame f =
        switch (h.type()) {
          case HELLO -> new ReplicationFrame.Hello(p.i64(), p.utf8(255), p.utf8(255), p.bytes(32));
          case READY -> new ReplicationFrame.Ready(p.i64());
          case VERIFY -> new ReplicationFrame.Verify(p.i64());
          case ACK -> new ReplicationFrame.Ack(p.i64(), p.i64(), p.i64(), p.bytes(p.u8()));
          case HEARTBEAT -> new ReplicationFrame.Heartbeat(p.i64(), p.i64());
          case ERROR -> new ReplicationFrame.Error(p.utf8(256), p.utf8(4096));
          case END -> new ReplicationFrame.End();
          default ->
              throw new CorruptStreamException(
                  "unknown replication frame type 0x" + Integer.toHexString(h.type()));
        };
    p.end();
    return f;
  }

  private static String cut(String s) {
    String v = s == null ? "" : s;
    return v.length() > 4000 ? v.substring(0, 4000) : v;
  }
}
