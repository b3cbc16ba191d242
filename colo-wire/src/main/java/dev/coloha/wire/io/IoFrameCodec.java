package dev.coloha.wire.io;

import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.frame.FrameHead;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.frame.Payload;
import dev.coloha.wire.frame.PayloadBuilder;
import java.io.IOException;

/** Binary encoding of {@link IoFrame}s over {@link FrameOutput}/{@link FrameInput}. */
public final class IoFrameCodec {
  public static final int OPEN = 0x10;
  public static final int DATA = 0x11;
  public static final int CLOSE = 0x12;
  public static final int OUTPUT = 0x20;
  public static final int CLOSED = 0x21;
  public static final int INTERVAL = 0x22;
  public static final int CRASHED = 0x23;
  public static final int HEARTBEAT = 0x30;
  public static final int ERROR = 0x7e;
  public static final int END = 0x7f;

  private final PayloadBuilder head = new PayloadBuilder(64);

  /** Writes one frame (not thread-safe: one writer per stream). */
  public void write(IoFrame f, FrameOutput out) throws IOException {
    head.reset();
    switch (f) {
      case IoFrame.Open o -> out.frame(OPEN, head.i32(o.conn()).array(), 0, head.size());
      case IoFrame.Data d -> {
        head.i32(d.conn()).i64(d.offset());
        out.begin(DATA, head.size() + d.bytes().length);
        out.body(head.array(), 0, head.size());
        out.body(d.bytes(), 0, d.bytes().length);
      }
      case IoFrame.Close c ->
          out.frame(CLOSE, head.i32(c.conn()).i64(c.endOffset()).array(), 0, head.size());
      case IoFrame.Output o -> {
        head.i64(o.epoch()).i64(o.interval()).i32(o.conn()).i64(o.offset());
        out.begin(OUTPUT, head.size() + o.bytes().length);
        out.body(head.array(), 0, head.size());
        out.body(o.bytes(), 0, o.bytes().length);
      }
      case IoFrame.Closed c ->
          out.frame(
              CLOSED,
              head.i64(c.epoch()).i64(c.interval()).i32(c.conn()).i64(c.endOffset()).array(),
              0,
              head.size());
      case IoFrame.Interval i ->
          out.frame(INTERVAL, head.i64(i.epoch()).i64(i.interval()).array(), 0, head.size());
      case IoFrame.Crashed c ->
          out.frame(CRASHED, head.i64(c.epoch()).utf8(cut(c.reason())).toByteArray());
      case IoFrame.Heartbeat h ->
          out.frame(HEARTBEAT, head.i64(h.epoch()).i64(h.interval()).array(), 0, head.size());
      case IoFrame.Error e ->
          out.frame(ERROR, head.utf8(cut(e.type())).utf8(cut(e.message())).toByteArray());
      case IoFrame.End e -> out.frame(END, new byte[0]);
    }
  }

  /** Reads the next frame, or returns null at a clean end of the underlying stream. */
  public IoFrame read(FrameInput in) throws IOException {
    FrameHead h = in.next();
    if (h == null) {
      return null;
    }
    Payload p = new Payload(in.body(h));
    IoFrame f =
        switch (h.type()) {
          case OPEN -> new IoFrame.Open(p.i32());
          case DATA -> new IoFrame.Data(p.i32(), offset(p.i64()), p.bytes(p.remaining()));
          case CLOSE -> new IoFrame.Close(p.i32(), offset(p.i64()));
          case OUTPUT ->
              new IoFrame.Output(
                  p.i64(), p.i64(), p.i32(), offset(p.i64()), p.bytes(p.remaining()));
          case CLOSED -> new IoFrame.Closed(p.i64(), p.i64(), p.i32(), offset(p.i64()));
          case INTERVAL -> new IoFrame.Interval(p.i64(), p.i64());
          case CRASHED -> new IoFrame.Crashed(p.i64(), p.utf8(4096));
          case HEARTBEAT -> new IoFrame.Heartbeat(p.i64(), p.i64());
          case ERROR -> new IoFrame.Error(p.utf8(256), p.utf8(4096));
          case END -> new IoFrame.End();
          default ->
              throw new CorruptStreamException(
                  "unknown I/O frame type 0x" + Integer.toHexString(h.type()));
        };
    p.end();
    return f;
  }

  private static long offset(long v) {
    if (v < 0) {
      throw new CorruptStreamException("negative stream offset " + v);
    }
    return v;
  }

  private static String cut(String s) {
    String v = s == null ? "" : s;
    return v.length() > 4000 ? v.substring(0, 4000) : v;
  }
}
