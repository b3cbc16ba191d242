package dev.coloha.wire.checkpoint;

import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.frame.FrameHead;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.Payload;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Reads one checkpoint and verifies it whole: frame order, page bounds and order, counts and the
 * CRC-32C. Any defect throws {@link CorruptStreamException} and nothing is returned, so a torn or
 * corrupt checkpoint can never be half applied.
 */
public final class CheckpointReader {
  private final CheckpointLimits limits;

  public CheckpointReader(CheckpointLimits limits) {
    this.limits = limits;
  }

  /** Reads a checkpoint whose first frame has not been read yet. */
  public Checkpoint read(FrameInput in) throws IOException {
    in.resetChecksum();
    FrameHead first = in.next();
    if (first == null) {
      throw new CorruptStreamException("empty checkpoint stream");
    }
    return readAfter(first, in);
  }

  /**
   * Reads a checkpoint whose HEADER frame head was already read by the caller (which must have
   * reset the checksum before reading it).
   */
  public Checkpoint readAfter(FrameHead first, FrameInput in) throws IOException {
    return readAfter(first, in, byte[]::new);
  }

  /**
   * As {@link #readAfter(FrameHead, FrameInput)}, taking the page buffer from {@code buffers}
   * (which may return a larger, reused array: only the first {@code pages * 4096} bytes are used).
   */
  public Checkpoint readAfter(FrameHead first, FrameInput in, IntFunction<byte[]> buffers)
      throws IOException {
    long start = in.bytesRead() - 5;
    if (first.type() != CheckpointFrame.HEADER) {
      throw new CorruptStreamException(
          "checkpoint must start with a HEADER frame, got " + first.type());
    }
    CheckpointHeader header = header(new Payload(in.body(first)));
    int[] indices = new int[header.pageCount()];
    int dataBytes = Math.multiplyExact(header.pageCount(), Checkpoint.PAGE_SIZE);
    byte[] data = buffers.apply(dataBytes);
    if (data.length < dataBytes) {
      throw new IllegalStateException("buffer of " + data.length + " bytes for " + dataBytes);
    }
    int maxPage = header.memoryPages() * Checkpoint.PAGES_PER_WASM_PAGE;
    int filled = 0;
    int runs = 0;
    int previous = -1;
    List<GlobalValue> globals = null;
    DeviceState device = null;
    byte[] runHead = new byte[8];
    while (true) {
      FrameHead h = in.next();
      if (h == null) {
        throw new CorruptStreamException(
            "checkpoint " + header.sequence() + " ended before its trailer");
      }
      switch (h.type()) {
        case CheckpointFrame.PAGES -> {
          if (globals != null) {
            throw new CorruptStreamException("PAGES frame after GLOBALS");
          }
          if (h.length() < 8 || (h.length() - 8) % Checkpoint.PAGE_SIZE != 0) {
            throw new CorruptStreamException("PAGES frame of odd length " + h.length());
          }
          in.body(runHead, 0, 8);
          int firstPage = getInt(runHead, 0);
          int count = getInt(runHead, 4);
          if (count <= 0
              || count > limits.maxRunPages()
              || count != (h.length() - 8) / Checkpoint.PAGE_SIZE) {
            throw new CorruptStreamException("PAGES frame with bad count " + count);
          }
          if (firstPage <= previous || firstPage < 0 || (long) firstPage + count > maxPage) {
            throw new CorruptStreamException(
                "page run " + firstPage + "+" + count + " out of order or beyond " + maxPage);
          }
          if (filled + count > indices.length) {
            throw new CorruptStreamException("more pages than the header's " + indices.length);
          }
          for (int k = 0; k < count; k++) {
            indices[filled + k] = firstPage + k;
          }
          in.body(data, filled * Checkpoint.PAGE_SIZE, count * Checkpoint.PAGE_SIZE);
          filled += count;
          previous = firstPage + count - 1;
          runs++;
        }
        case CheckpointFrame.GLOBALS -> {
          if (globals != null) {
            throw new CorruptStreamException("duplicate GLOBALS frame");
          }
          globals = globals(new Payload(in.body(h)));
        }
        case CheckpointFrame.DEVICE -> {
          if (globals == null || device != null) {
            throw new CorruptStreamException("DEVICE frame out of order");
          }
          device = device(new Payload(in.body(h)));
        }
        case CheckpointFrame.TRAILER -> {
          long before = in.bytesRead() - 5 - start;
          int crc = in.checksumBeforeHead();
          Payload t = new Payload(in.body(h));
          int pages = t.i32();
          int runCount = t.i32();
          long bytes = t.i64();
          int expectedCrc = t.i32();
          t.end();
          if (device == null) {
            throw new CorruptStreamException("trailer before the DEVICE frame");
          }
          if (pages != filled || filled != indices.length || runCount != runs || bytes != before) {
            throw new CorruptStreamException(
                "checkpoint counts differ: pages %d/%d/%d runs %d/%d bytes %d/%d"
                    .formatted(pages, filled, indices.length, runCount, runs, bytes, before));
          }
          if (crc != expectedCrc) {
            throw new CorruptStreamException(
                "checkpoint %d checksum mismatch".formatted(header.sequence()));
          }
          return new Checkpoint(header, indices, data, globals, device);
        }
        default -> throw new CorruptStreamException("unknown checkpoint frame type " + h.type());
      }
    }
  }

  private CheckpointHeader header(Payload p) {
    if (p.i32() != CheckpointFrame.MAGIC) {
      throw new CorruptStreamException("not a checkpoint (bad magic)");
    }
    int version = p.u16();
    if (version != CheckpointFrame.FORMAT_VERSION) {
      throw new CorruptStreamException("unsupported checkpoint format version " + version);
    }
    int flags = p.u16();
    long epoch = p.i64();
    long sequence = p.i64();
    long base = p.i64();
    int memoryPages = p.i32();
    int pageCount = p.i32();
    int pageSize = p.i32();
    String guest = p.utf8(255);
    byte[] hash = p.bytes(32);
    p.end();
    if (pageSize != Checkpoint.PAGE_SIZE) {
      throw new CorruptStreamException("page size " + pageSize + " is not " + Checkpoint.PAGE_SIZE);
    }
    if (memoryPages < 0 || memoryPages > limits.maxMemoryPages()) {
      throw new CorruptStreamException(
          "memory of " + memoryPages + " pages exceeds the limit of " + limits.maxMemoryPages());
    }
    if (pageCount < 0 || pageCount > memoryPages * Checkpoint.PAGES_PER_WASM_PAGE) {
      throw new CorruptStreamException("page count " + pageCount + " beyond memory size");
    }
    boolean full = (flags & 1) != 0;
    boolean precopy = base == CheckpointHeader.PRECOPY_BASE;
    if (full != (base == CheckpointHeader.NO_BASE)
        || sequence < 0
        || (!full && !precopy && (base < 0 || base >= sequence))) {
      throw new CorruptStreamException("inconsistent sequence " + sequence + " / base " + base);
    }
    return new CheckpointHeader(guest, hash, epoch, sequence, base, memoryPages, pageCount);
  }

  private List<GlobalValue> globals(Payload p) {
    int n = p.count("globals", limits.maxGlobals());
    List<GlobalValue> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(new GlobalValue(p.i32(), p.u8(), p.i64(), p.i64()));
    }
    p.end();
    return out;
  }

  private DeviceState device(Payload p) {
    long interval = p.i64();
    long barrier = p.i64();
    int n = p.count("connections", limits.maxConnections());
    List<ConnectionState> conns = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int id = p.i32();
      int flags = p.u8();
      long in = p.i64();
      long out = p.i64();
      if (in < 0 || out < 0) {
        throw new CorruptStreamException("negative offset for connection " + id);
      }
      conns.add(new ConnectionState(id, (flags & 1) != 0, (flags & 2) != 0, in, out));
    }
    int closed = p.count("closed connections", limits.maxConnections());
    List<Integer> tombstones = new ArrayList<>(closed);
    for (int i = 0; i < closed; i++) {
      tombstones.add(p.i32());
    }
    int timers = p.count("timers", limits.maxTimers());
    List<TimerState> ts = new ArrayList<>(timers);
    for (int i = 0; i < timers; i++) {
      ts.add(new TimerState(p.i32(), p.i64()));
    }
    byte[] guestState = new byte[0];
    if (p.remaining() > 0) {
      guestState = p.bytes(p.count("guest state bytes", limits.maxGuestStateBytes()));
    }
    p.end();
    return new DeviceState(interval, barrier, conns, tombstones, ts, guestState);
  }

  private static int getInt(byte[] b, int off) {
    return ((b[off] & 0xff) << 24)
        | ((b[off + 1] & 0xff) << 16)
        | ((b[off + 2] & 0xff) << 8)
        | (b[off + 3] & 0xff);
  }
}
