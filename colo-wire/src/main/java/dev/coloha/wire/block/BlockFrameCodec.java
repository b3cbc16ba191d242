package dev.coloha.wire.block;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.frame.FrameHead;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.frame.Payload;
import dev.coloha.wire.frame.PayloadBuilder;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Binary encoding of {@link BlockFrame}s over {@link FrameOutput}/{@link FrameInput} ({@code u8
 * type | u32 length | payload}, big endian). One codec per stream direction; not thread-safe.
 */
public final class BlockFrameCodec {
  public static final int READ = 0x40;
  public static final int WRITE = 0x41;
  public static final int FLUSH = 0x42;
  public static final int BARRIER = 0x43;
  public static final int COMMIT = 0x44;
  public static final int FAILOVER = 0x45;
  public static final int ATTACH = 0x4e;
  public static final int HEARTBEAT = 0x4f;
  public static final int HELLO = 0x50;
  public static final int DATA = 0x51;
  public static final int DONE = 0x52;
  public static final int FAIL = 0x53;
  public static final int REPLICA_WRITE = 0x60;
  public static final int REPLICA_BARRIER = 0x61;
  public static final int RESYNC_BEGIN = 0x62;
  public static final int RESYNC_DATA = 0x63;
  public static final int RESYNC_END = 0x64;
  public static final int REPLICA_HELLO = 0x68;
  public static final int ACK = 0x69;
  public static final int ERROR = 0x7e;
  public static final int END = 0x7f;

  /** Bytes a data-carrying frame adds to its data (WRITE: id and offset; the largest header). */
  public static final int MAX_HEADER = 32;

  private static final int MAX_STRING = 4000;
  private static final int MAX_DETAILS = 32;

  private final PayloadBuilder head = new PayloadBuilder(64);

  /** Writes one frame. */
  public void write(BlockFrame f, FrameOutput out) throws IOException {
    head.reset();
    switch (f) {
      case BlockFrame.Attach a -> small(out, ATTACH, head.utf8(cut(a.volume())).i64(a.epoch()));
      case BlockFrame.Read r -> small(out, READ, head.i64(r.id()).i64(r.offset()).i32(r.length()));
      case BlockFrame.Write w -> withData(out, WRITE, head.i64(w.id()).i64(w.offset()), w.data());
      case BlockFrame.Flush fl -> small(out, FLUSH, head.i64(fl.id()));
      case BlockFrame.Barrier b -> small(out, BARRIER, head.i64(b.id()).i64(b.barrier()));
      case BlockFrame.Commit c -> small(out, COMMIT, head.i64(c.id()).i64(c.barrier()));
      case BlockFrame.Failover fo -> small(out, FAILOVER, head.i64(fo.id()).i64(fo.epoch()));
      case BlockFrame.Hello h ->
          small(
              out,
              HELLO,
              head.i64(h.epoch()).i64(h.sizeBytes()).u8(h.role().ordinal()).i32(h.maxRequest()));
      case BlockFrame.Data d -> withData(out, DATA, head.i64(d.id()), d.data());
      case BlockFrame.Done d -> small(out, DONE, head.i64(d.id()).i64(d.value()));
      case BlockFrame.Fail fa -> {
        head.i64(fa.id()).utf8(cut(fa.type())).utf8(cut(fa.message()));
        small(out, FAIL, details(head, fa.details()));
      }
      case BlockFrame.ReplicaWrite w ->
          withData(
              out, REPLICA_WRITE, head.i64(w.seq()).i64(w.barrier()).i64(w.offset()), w.data());
      case BlockFrame.ReplicaBarrier b ->
          small(out, REPLICA_BARRIER, head.i64(b.seq()).i64(b.barrier()));
      case BlockFrame.ResyncBegin b ->
          small(out, RESYNC_BEGIN, head.i64(b.seq()).i64(b.sizeBytes()));
      case BlockFrame.ResyncData d ->
          withData(out, RESYNC_DATA, head.i64(d.seq()).i64(d.offset()), d.data());
      case BlockFrame.ResyncEnd e -> small(out, RESYNC_END, head.i64(e.seq()));
      case BlockFrame.ReplicaHello h ->
          small(
              out,
              REPLICA_HELLO,
              head.i64(h.epoch())
                  .u8(h.synced() ? 1 : 0)
                  .i64(h.lastSeq())
                  .i64(h.committedBarrier()));
      case BlockFrame.Ack a -> small(out, ACK, head.i64(a.seq()).i64(a.committedBarrier()));
      case BlockFrame.Heartbeat h -> small(out, HEARTBEAT, head.i64(h.epoch()));
      case BlockFrame.Error e ->
          small(out, ERROR, details(head.utf8(cut(e.type())).utf8(cut(e.message())), e.details()));
      case BlockFrame.End e -> out.frame(END, new byte[0]);
    }
  }

  private static PayloadBuilder details(PayloadBuilder head, Map<String, String> details) {
    Map<String, String> d = details == null ? Map.of() : details;
    head.u16(Math.min(d.size(), MAX_DETAILS));
    d.entrySet().stream()
        .limit(MAX_DETAILS)
        .forEach(e -> head.utf8(cut(e.getKey())).utf8(cut(e.getValue())));
    return head;
  }

  /**
   * Writes a WRITE frame of the first {@code length} bytes of {@code data} (the same bytes as
   * {@link #write} of a {@link BlockFrame.Write} of them, without copying them into an array of
   * their own: a held write's buffer is larger than the write).
   */
  public void writeWrite(long id, long offset, byte[] data, int length, FrameOutput out)
      throws IOException {
    head.reset();
    head.i64(id).i64(offset);
    out.begin(WRITE, head.size() + length);
    out.body(head.array(), 0, head.size());
    out.body(data, 0, length);
  }

  private static void small(FrameOutput out, int type, PayloadBuilder payload) throws IOException {
    out.frame(type, payload.array(), 0, payload.size());
  }

  private static void withData(FrameOutput out, int type, PayloadBuilder header, byte[] data)
      throws IOException {
    out.begin(type, header.size() + data.length);
    out.body(header.array(), 0, header.size());
    out.body(data, 0, data.length);
  }

  /** Reads the next frame, or returns null at a clean end of the underlying stream. */
  public BlockFrame read(FrameInput in) throws IOException {
    FrameHead h = in.next();
    if (h == null) {
      return null;
    }
    int fixed = dataHead(h.type());
    if (fixed > 0) {
      return withData(in, h, fixed);
    }
    Payload p = new Payload(in.body(h));
    BlockFrame f = // frames with data (WRITE, DATA, REPLICA_WRITE, RESYNC_DATA) went to withData
        switch (h.type()) {
          case ATTACH -> new BlockFrame.Attach(p.utf8(MAX_STRING), p.i64());
          case READ -> new BlockFrame.Read(p.i64(), offset(p.i64()), length(p.i32()));
          case FLUSH -> new BlockFrame.Flush(p.i64());
          case BARRIER -> new BlockFrame.Barrier(p.i64(), p.i64());
          case COMMIT -> new BlockFrame.Commit(p.i64(), p.i64());
          case FAILOVER -> new BlockFrame.Failover(p.i64(), p.i64());
          case HELLO -> new BlockFrame.Hello(p.i64(), p.i64(), role(p.u8()), length(p.i32()));
          case DONE -> new BlockFrame.Done(p.i64(), p.i64());
          case FAIL -> fail(p);
          case REPLICA_BARRIER -> new BlockFrame.ReplicaBarrier(p.i64(), p.i64());
          case RESYNC_BEGIN -> new BlockFrame.ResyncBegin(p.i64(), offset(p.i64()));
          case RESYNC_END -> new BlockFrame.ResyncEnd(p.i64());
          case REPLICA_HELLO -> new BlockFrame.ReplicaHello(p.i64(), p.u8() != 0, p.i64(), p.i64());
          case ACK -> new BlockFrame.Ack(p.i64(), p.i64());
          case HEARTBEAT -> new BlockFrame.Heartbeat(p.i64());
          case ERROR -> new BlockFrame.Error(p.utf8(256), p.utf8(MAX_STRING), details(p));
          case END -> new BlockFrame.End();
          default ->
              throw new CorruptStreamException(
                  "unknown block frame type 0x" + Integer.toHexString(h.type()));
        };
    p.end();
    return f;
  }

  /**
   * Bytes of the fields before the data of a data-carrying frame type (0: not one). Such a frame's
   * data is read straight into an array of its own, not into the whole payload's first and then
   * copied out of it (issue 18: on the mirror a second allocation and copy of every written byte).
   */
  private static int dataHead(int type) {
    return switch (type) {
      case WRITE, RESYNC_DATA -> 16;
      case DATA -> 8;
      case REPLICA_WRITE -> 24;
      default -> 0;
    };
  }

  private BlockFrame withData(FrameInput in, FrameHead h, int fixed) throws IOException {
    if (h.length() < fixed) {
      throw new CorruptStreamException(
          "frame of type 0x"
              + Integer.toHexString(h.type())
              + " has "
              + h.length()
              + " bytes, less than its "
              + fixed
              + "-byte head");
    }
    byte[] fields = new byte[fixed];
    in.body(fields, 0, fixed);
    byte[] data = new byte[h.length() - fixed];
    in.body(data, 0, data.length);
    Payload p = new Payload(fields);
    BlockFrame f =
        switch (h.type()) {
          case WRITE -> new BlockFrame.Write(p.i64(), offset(p.i64()), data);
          case RESYNC_DATA -> new BlockFrame.ResyncData(p.i64(), offset(p.i64()), data);
          case DATA -> new BlockFrame.Data(p.i64(), data);
          case REPLICA_WRITE ->
              new BlockFrame.ReplicaWrite(p.i64(), p.i64(), offset(p.i64()), data);
          default -> throw new IllegalStateException("not a data frame: " + h.type());
        };
    p.end();
    return f;
  }

  private static BlockFrame.Fail fail(Payload p) {
    return new BlockFrame.Fail(p.i64(), p.utf8(256), p.utf8(MAX_STRING), details(p));
  }

  private static Map<String, String> details(Payload p) {
    int n = p.u16();
    if (n > MAX_DETAILS) {
      throw new CorruptStreamException("frame with " + n + " details > " + MAX_DETAILS);
    }
    Map<String, String> details = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      details.put(p.utf8(256), p.utf8(MAX_STRING));
    }
    return details;
  }

  private static VolumeRole role(int code) {
    VolumeRole[] roles = VolumeRole.values();
    if (code >= roles.length) {
      throw new CorruptStreamException("unknown volume role " + code);
    }
    return roles[code];
  }

  private static long offset(long v) {
    if (v < 0) {
      throw new CorruptStreamException("negative disk offset or size " + v);
    }
    return v;
  }

  private static int length(int v) {
    if (v < 0) {
      throw new CorruptStreamException("negative length " + v);
    }
    return v;
  }

  private static String cut(String s) {
    String v = s == null ? "" : s;
    // 1000 characters encode to at most 4000 UTF-8 bytes, the limit a reader accepts
    return v.length() > 1000 ? v.substring(0, 1000) : v;
  }
}
