package dev.coloha.mirror.volume;

import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.block.BlockFrame;
import dev.coloha.wire.frame.PayloadBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A secondary's pending-write journal (QEMU's hidden disk): the primary's writes and barrier
 * markers in the order they arrived, invisible to the secondary's VM until their barrier commits.
 * Records before the committed position are already in the base image; the ones after it are
 * pending.
 *
 * <p>Records: {@code WRITE: u64 seq, u64 barrier tag, u64 offset, data} and {@code BARRIER: u64
 * seq, u64 barrier}, each in a checksummed {@link RecordLog} record.
 */
final class HiddenJournal implements AutoCloseable {
  static final int WRITE = 0x01;
  static final int BARRIER = 0x02;
  private static final int WRITE_HEADER = 24;

  /** Largest run of adjacent writes a commit writes to the base in one call. */
  private static final int MAX_RUN = 1 << 20;

  /** One pending record, without its data. */
  record Entry(
      long seq, long position, long end, boolean barrier, long number, long offset, int length) {}

  private final RecordLog log;
  private final List<Entry> pending;
  private final PayloadBuilder header = new PayloadBuilder(32);
  private long lastSeq;
  private long pendingBytes;
  private int pendingWrites;

  private HiddenJournal(RecordLog log, List<Entry> pending, long lastSeq) {
    this.log = log;
    this.pending = pending;
    this.lastSeq = lastSeq;
    for (Entry e : pending) {
      count(e, 1);
    }
  }

  /**
   * Opens the journal, keeping the records at or after {@code committedPos} as pending.
   *
   * @param seqFloor the sequence number of everything before this journal's first record
   */
  static HiddenJournal open(Path path, long committedPos, long seqFloor, int maxPayload)
      throws IOException {
    List<Entry> pending = new ArrayList<>();
    long[] last = {seqFloor};
    RecordLog log =
        RecordLog.open(
            path,
            maxPayload,
            (type, position, p) -> {
              long end = position + RecordLog.OVERHEAD + p.remaining();
              long seq = p.getLong();
              Entry e =
                  switch (type) {
                    case WRITE -> {
                      long tag = p.getLong();
                      long offset = p.getLong();
                      yield new Entry(seq, position, end, false, tag, offset, p.remaining());
                    }
                    case BARRIER -> new Entry(seq, position, end, true, p.getLong(), 0, 0);
                    default ->
                        throw new CorruptStreamException(
                            "journal record of unknown type " + type + " at " + position);
                  };
              last[0] = Math.max(last[0], seq);
              if (position >= committedPos) {
                pending.add(e);
              }
            });
    return new HiddenJournal(log, pending, last[0]);
  }

  Path path() {
    return log.path();
  }

  long tornBytes() {
    return log.tornBytes();
  }

  /** Highest sequence number held (or dropped by a commit). */
  long lastSeq() {
    return lastSeq;
  }

  long end() {
    return log.end();
  }

  long pendingBytes() {
    return pendingBytes;
  }

  int pendingWrites() {
    return pendingWrites;
  }

  List<Entry> pending() {
    return pending;
  }

  void append(BlockFrame.ReplicaWrite w, FaultPoint faults) throws IOException {
    header.reset().i64(w.seq()).i64(w.barrier()).i64(w.offset());
    long pos =
        log.append(WRITE, header.array(), header.size(), w.data(), 0, w.data().length, faults);
    Entry e = new Entry(w.seq(), pos, log.end(), false, w.barrier(), w.offset(), w.data().length);
    pending.add(e);
    count(e, 1);
    lastSeq = w.seq();
  }

  void append(BlockFrame.ReplicaBarrier b) throws IOException {
    header.reset().i64(b.seq()).i64(b.barrier());
    long pos = log.append(BARRIER, header.array(), header.size(), new byte[0], 0, 0);
    Entry e = new Entry(b.seq(), pos, log.end(), true, b.barrier(), 0, 0);
    pending.add(e);
    lastSeq = b.seq();
  }

  /** The pending barrier marker {@code n}, or null if it has not arrived. */
  Entry barrier(long n) {
    for (Entry e : pending) {
      if (e.barrier() && e.number() == n) {
        return e;
      }
    }
    return null;
  }

  /** The highest pending barrier number, -1 if none. */
  long highestBarrier() {
    long max = -1;
    for (Entry e : pending) {
      if (e.barrier()) {
        max = Math.max(max, e.number());
      }
    }
    return max;
  }

  /**
   * Writes every pending write before journal position {@code to} into {@code base}, in order,
   * leaving out a write that a later one in the range overwrites whole (same offset, at least as
   * long: a guest rewriting its log's tail sector and header slots). Idempotent: applying the same
   * range again gives the same image.
   *
   * @return the number of primary writes committed (applied or overwritten)
   */
  int applyTo(BaseImage base, long to, FaultPoint faults) throws IOException {
    int end = 0;
    while (end < pending.size() && pending.get(end).position() < to) {
      end++;
    }
    boolean[] overwritten = new boolean[end];
    Map<Long, Integer> later = new HashMap<>();
    int total = 0;
    int effective = 0;
    for (int i = end - 1; i >= 0; i--) {
      Entry e = pending.get(i);
      if (e.barrier()) {
        continue;
      }
      total++;
      Integer len = later.get(e.offset());
      if (len != null && len >= e.length()) {
        overwritten[i] = true;
      } else {
        later.put(e.offset(), e.length());
        effective++;
      }
    }
    // writes that follow each other on the disk (a log's tail) go to the base as one run
    int applied = 0;
    byte[] run = new byte[0];
    long runStart = 0;
    int runLength = 0;
    for (int i = 0; i < end; i++) {
      Entry e = pending.get(i);
      if (e.barrier() || overwritten[i]) {
        continue;
      }
      if (runLength > 0
          && (e.offset() != runStart + runLength || runLength + e.length() > MAX_RUN)) {
        base.write(runStart, run, 0, runLength);
        runLength = 0;
      }
      if (runLength == 0) {
        runStart = e.offset();
      }
      if (run.length < runLength + e.length()) {
        run = java.util.Arrays.copyOf(run, Math.max(runLength + e.length(), 2 * run.length));
      }
      log.read(e.position() + 5 + WRITE_HEADER, run, runLength, e.length());
      runLength += e.length();
      applied++;
      if (applied == effective / 2) {
        base.write(runStart, run, 0, runLength);
        runStart += runLength;
        runLength = 0;
        faults.reached(FaultPoint.COMMIT_MID_APPLY);
      }
    }
    if (runLength > 0) {
      base.write(runStart, run, 0, runLength);
    }
    return total;
  }

  /** The pending writes before journal position {@code to}. */
  int writesBefore(long to) {
    int n = 0;
    for (Entry e : pending) {
      if (e.position() >= to) {
        break;
      }
      if (!e.barrier()) {
        n++;
      }
    }
    return n;
  }

  /** Forgets the pending records before position {@code to} (they are in the base now). */
  void dropBefore(long to) {
    int n = 0;
    while (n < pending.size() && pending.get(n).position() < to) {
      count(pending.get(n), -1);
      n++;
    }
    pending.subList(0, n).clear();
  }

  /**
   * Copies the pending records into a new journal file (the committed prefix is left behind). The
   * caller switches to it by persisting its generation, then deletes this one.
   */
  HiddenJournal compactInto(Path path, int maxPayload) throws IOException {
    Files.deleteIfExists(path);
    RecordLog out = RecordLog.open(path, maxPayload, (t, p, b) -> {});
    List<Entry> copied = new ArrayList<>(pending.size());
    for (Entry e : pending) {
      ByteBuffer payload = log.payload(e.position());
      byte[] bytes = payload.array();
      long pos = out.append(e.barrier() ? BARRIER : WRITE, bytes, bytes.length, new byte[0], 0, 0);
      copied.add(
          new Entry(e.seq(), pos, out.end(), e.barrier(), e.number(), e.offset(), e.length()));
    }
    out.force();
    return new HiddenJournal(out, copied, lastSeq);
  }

  void force() throws IOException {
    log.force();
  }

  FileChannel channel() {
    return log.channel();
  }

  private void count(Entry e, int sign) {
    if (!e.barrier()) {
      pendingWrites += sign;
      pendingBytes += sign * (long) e.length();
    }
  }

  @Override
  public void close() throws IOException {
    log.close();
  }
}
