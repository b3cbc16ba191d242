package dev.coloha.mirror.volume;

import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.block.BlockFrame;
import dev.coloha.wire.block.BlockLimits;
import dev.coloha.wire.frame.PayloadBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A secondary's pending-write journal (QEMU's hidden disk): the primary's writes and barrier
 * markers in the order they arrived, invisible to the secondary's VM until their barrier commits.
 * Records before the committed position are already in the base image; the ones after it are
 * pending.
 *
 * <p>A commit does not copy its writes into the base while the secondary VM waits: the journal
 * keeps, as writes arrive, an index from sector to the newest copy in the journal for each interval
 * between two barrier markers; a commit of barrier N merges the intervals up to marker N into the
 * index of committed writes (a few map entries per distinct sector), which reads see between the
 * overlay and the base, and {@link #applyStep} copies them into the base in the background. Until
 * the base has them all, the records after the last fully applied position stay in the file;
 * opening the journal from that position and committing again redoes the copy.
 *
 * <p>The records may be held in memory ({@link #holdUpTo}) rather than written as they arrive: they
 * are written, in one {@code pwrite}, by a commit, when more than the limit are held, or when the
 * replica stream is idle ({@link #writeHeld}). Only the records written are acknowledged ({@link
 * #writtenSeq}), so a crash that drops the held ones drops nothing the primary forgot: it sends
 * them again.
 *
 * <p>Records: {@code WRITE: u64 seq, u64 barrier tag, u64 offset, data} and {@code BARRIER: u64
 * seq, u64 barrier}, each in a checksummed {@link RecordLog} record.
 *
 * <p>Over 400 lines on purpose: appending, the per-interval sector index, commit and the background
 * apply move the same positions of the same file, and their order is the crash-safety argument
 * above.
 */
final class HiddenJournal implements AutoCloseable {
  static final int WRITE = 0x01;
  static final int BARRIER = 0x02;
  private static final int WRITE_HEADER = 24;

  private static final int SECTOR = BlockLimits.SECTOR_SIZE;

  /** Where a write record's data starts, from the record's first byte. */
  private static final int DATA = 5 + WRITE_HEADER;

  /** Largest run of adjacent sectors written to the base in one call. */
  private static final int MAX_RUN = 1 << 20;

  /** One pending record, without its data. */
  record Entry(
      long seq, long position, long end, boolean barrier, long number, long offset, int length) {}

  /** The sectors written before a barrier marker: sector to the journal position of its data. */
  private record Interval(long markerEnd, Map<Long, Long> sectors) {}

  private final RecordLog log;
  private final List<Entry> pending;
  private final PayloadBuilder header = new PayloadBuilder(32);
  private final ArrayDeque<Interval> sealed = new ArrayDeque<>();
  private Map<Long, Long> open = new HashMap<>();
  private Map<Long, Long> committed = new HashMap<>();
  private long committedEnd;
  private long[] drain = new long[0];
  private int drained;
  private int drainHalf;
  private byte[] run = new byte[64 << 10];
  private long lastSeq;
  private long firstHeldSeq = -1;
  private long pendingBytes;
  private int pendingWrites;

  private HiddenJournal(RecordLog log, List<Entry> pending, long lastSeq, long appliedPos) {
    this.log = log;
    this.pending = pending;
    this.lastSeq = lastSeq;
    this.committedEnd = appliedPos;
    for (Entry e : pending) {
      count(e, 1);
      index(e);
    }
  }

  /**
   * Opens the journal, keeping the records at or after {@code appliedPos} as pending (the base has
   * every write before it; the caller commits again what was committed after it).
   *
   * @param seqFloor the sequence number of everything before this journal's first record
   */
  static HiddenJournal open(Path path, long appliedPos, long seqFloor, int maxPayload)
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
              if (position >= appliedPos) {
                pending.add(e);
              }
            });
    return new HiddenJournal(log, pending, last[0], appliedPos);
  }

  Path path() {
    return log.path();
  }

  long tornBytes() {
    return log.tornBytes();
  }

  /** Holds up to {@code bytes} of records in memory until they are needed (0: none). */
  void holdUpTo(long bytes) throws IOException {
    log.holdUpTo(bytes);
    firstHeldSeq = -1;
  }

  /** Writes the records held in memory to the file (page cache). */
  void writeHeld() throws IOException {
    log.writeHeld();
    firstHeldSeq = -1;
  }

  /** Bytes of records held in memory, not yet in the file. */
  long heldBytes() {
    return log.heldBytes();
  }

  /** Highest sequence number whose record is in the file (what may be acknowledged). */
  long writtenSeq() {
    return log.heldBytes() == 0 ? lastSeq : firstHeldSeq - 1;
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
    index(e);
    held(e);
    lastSeq = w.seq();
  }

  void append(BlockFrame.ReplicaBarrier b) throws IOException {
    header.reset().i64(b.seq()).i64(b.barrier());
    long pos = log.append(BARRIER, header.array(), header.size(), new byte[0], 0, 0);
    Entry e = new Entry(b.seq(), pos, log.end(), true, b.barrier(), 0, 0);
    pending.add(e);
    index(e);
    held(e);
    lastSeq = b.seq();
  }

  /** Notes whether the record just appended is held (it may have written the earlier ones). */
  private void held(Entry e) {
    if (log.heldBytes() == 0) {
      firstHeldSeq = -1;
    } else if (log.heldBytes() == e.end() - e.position()) {
      firstHeldSeq = e.seq(); // the only one held
    }
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

  /** A write's sectors enter the open interval; a marker closes it. */
  private void index(Entry e) {
    if (e.barrier()) {
      sealed.add(new Interval(e.end(), open));
      open = new HashMap<>();
      return;
    }
    long first = e.offset() / SECTOR;
    long data = e.position() + DATA;
    for (int i = 0; i < e.length() / SECTOR; i++) {
      open.put(first + i, data + (long) i * SECTOR);
    }
  }

  /**
   * Commits the pending records before position {@code to} (just after a barrier marker): their
   * writes join the committed writes that reads see over the base, and they are no longer pending.
   * Costs a few map operations per distinct sector written, not per write.
   *
   * @return the number of primary writes committed
   */
  int commitTo(long to) {
    int n = 0;
    int writes = 0;
    while (n < pending.size() && pending.get(n).position() < to) {
      Entry e = pending.get(n);
      count(e, -1);
      if (!e.barrier()) {
        writes++;
      }
      n++;
    }
    pending.subList(0, n).clear();
    while (!sealed.isEmpty() && sealed.peekFirst().markerEnd() <= to) {
      Map<Long, Long> sectors = sealed.pollFirst().sectors();
      if (committed.isEmpty()) {
        committed = sectors;
      } else {
        committed.putAll(sectors);
      }
    }
    committedEnd = Math.max(committedEnd, to);
    return writes;
  }

  /** Whether committed writes are still to be copied into the base. */
  boolean hasUnapplied() {
    return !committed.isEmpty();
  }

  /** Distinct sectors committed and not yet copied into the base. */
  int unappliedSectors() {
    return committed.size();
  }

  /**
   * The position after the last committed record: once {@link #hasUnapplied} is false, the base has
   * every write before it.
   */
  long committedEnd() {
    return committedEnd;
  }

  /**
   * Reads the committed state: the committed writes not yet in the base where they cover the range,
   * the base elsewhere.
   */
  void readCommitted(long offset, byte[] dst, int dstOffset, int length, BaseImage base)
      throws IOException {
    if (committed.isEmpty()) {
      base.read(offset, dst, dstOffset, length);
      return;
    }
    int n = length / SECTOR;
    int i = 0;
    while (i < n) {
      Long at = committed.get(offset / SECTOR + i);
      if (at != null) {
        log.read(at, dst, dstOffset + i * SECTOR, SECTOR);
        i++;
        continue;
      }
      int span = 1;
      while (i + span < n && !committed.containsKey(offset / SECTOR + i + span)) {
        span++;
      }
      base.read(offset + (long) i * SECTOR, dst, dstOffset + i * SECTOR, span * SECTOR);
      i += span;
    }
  }

  /**
   * Copies up to {@code maxSectors} committed sectors (their newest committed contents) into the
   * base, adjacent ones as one write, and forgets them once written. Idempotent: a crash in the
   * middle leaves them committed in the journal, and they are copied again.
   *
   * @return whether committed writes are still to be copied
   */
  boolean applyStep(BaseImage base, int maxSectors, FaultPoint faults) throws IOException {
    if (committed.isEmpty()) {
      return false;
    }
    if (drained >= drain.length) {
      drain = new long[committed.size()];
      int k = 0;
      for (long sector : committed.keySet()) {
        drain[k++] = sector;
      }
      Arrays.sort(drain);
      drained = 0;
      drainHalf = Math.max(1, drain.length / 2);
    }
    int from = drained;
    int stop = Math.min(drain.length, drained + maxSectors);
    long runStart = 0;
    int runLength = 0;
    long readAt = 0;
    int readInto = 0;
    int readLength = 0;
    for (int i = from; i < stop; i++) {
      long sector = drain[i];
      Long at = committed.get(sector);
      if (at == null) {
        continue;
      }
      if (runLength > 0
          && (sector * SECTOR != runStart + runLength || runLength + SECTOR > MAX_RUN)) {
        log.read(readAt, run, readInto, readLength);
        readLength = 0;
        base.write(runStart, run, 0, runLength);
        runLength = 0;
      }
      if (runLength == 0) {
        runStart = sector * SECTOR;
      }
      if (run.length < runLength + SECTOR) {
        run = Arrays.copyOf(run, 2 * run.length);
      }
      if (readLength > 0 && at == readAt + readLength && runLength == readInto + readLength) {
        readLength += SECTOR; // the next sector of the same journal record
      } else {
        if (readLength > 0) {
          log.read(readAt, run, readInto, readLength);
        }
        readAt = at;
        readInto = runLength;
        readLength = SECTOR;
      }
      runLength += SECTOR;
      if (i + 1 == drainHalf) {
        log.read(readAt, run, readInto, readLength);
        readLength = 0;
        base.write(runStart, run, 0, runLength);
        runStart += runLength;
        runLength = 0;
        faults.reached(FaultPoint.COMMIT_MID_APPLY);
      }
    }
    if (readLength > 0) {
      log.read(readAt, run, readInto, readLength);
    }
    if (runLength > 0) {
      base.write(runStart, run, 0, runLength);
    }
    for (int i = from; i < stop; i++) {
      committed.remove(drain[i]);
    }
    drained = stop;
    return !committed.isEmpty();
  }

  /**
   * Copies the pending records into a new journal file (the committed prefix is left behind). The
   * caller switches to it by persisting its generation, then deletes this one.
   */
  HiddenJournal compactInto(Path path, int maxPayload) throws IOException {
    if (!committed.isEmpty()) {
      throw new IllegalStateException("committed writes are still to be copied into the base");
    }
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
    return new HiddenJournal(out, copied, lastSeq, 0);
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
