package dev.coloha.mirror.volume;

import dev.coloha.wire.CorruptStreamException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only file of checksummed records: {@code u8 type | u32 length | payload | u32
 * CRC-32C(type, length, payload) XOR era}. Opening it scans every record and cuts the file after
 * the last whole, valid one: a record torn by a crash in the middle of its write (or damaged later)
 * is dropped with everything after it, never half-applied.
 *
 * <p>The <em>era</em> lets a log be emptied without a file operation ({@link #restart}): the next
 * records are written from the start over the old ones, with the new era in their check, so that
 * the old records left after them fail the check under the new era and are cut off when the log is
 * opened in it (the overlay, emptied at every commit, is rewritten in place instead of being
 * replaced by a new file). A whole record of another era never passes: its check differs by the XOR
 * of the two eras. Era 0 is the plain CRC-32C (files written before eras existed).
 *
 * <p>A log may <em>hold</em> its appended records in memory ({@link #holdUpTo}) and write them
 * later in one {@code pwrite} ({@link #writeHeld}): positions are given as if they were written,
 * reading a held record writes the held ones first, and closing the log drops them unwritten (as a
 * crash would). A record that would take the held bytes over the limit writes the held ones first.
 *
 * <p>Not thread-safe: its volume's lock guards it.
 */
public final class RecordLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RecordLog.class);
  static final int OVERHEAD = 9;

  /** Sees each valid record while the log is opened. */
  @FunctionalInterface
  public interface Visitor {
    /**
     * @param type the record type
     * @param position file position of the record's first byte
     * @param payload the payload (valid until the next call)
     */
    void record(int type, long position, ByteBuffer payload) throws IOException;
  }

  private final Path path;
  private final FileChannel channel;
  private final CRC32C crc = new CRC32C();
  private final ByteBuffer head = ByteBuffer.allocate(5);
  private final ByteBuffer tail = ByteBuffer.allocate(4);
  private ByteBuffer out;
  private long holdLimit;
  private ByteBuffer held;
  private long written;
  private long end;
  private int era;
  private final long tornBytes;

  private RecordLog(Path path, FileChannel channel, long end, int era, long tornBytes) {
    this.path = path;
    this.channel = channel;
    this.end = end;
    this.written = end;
    this.era = era;
    this.tornBytes = tornBytes;
  }

  /**
   * Opens (creating if needed) the log at {@code path}, visiting every valid record in order and
   * truncating whatever follows the last one.
   *
   * @param maxPayload a longer declared length is corruption
   */
  public static RecordLog open(Path path, int maxPayload, Visitor visitor) throws IOException {
    return open(path, maxPayload, 0, visitor);
  }

  /**
   * As {@link #open(Path, int, Visitor)}, reading the records of {@code era} only: the log ends at
   * the first record of another era (left by an earlier era, see {@link #restart}).
   */
  public static RecordLog open(Path path, int maxPayload, int era, Visitor visitor)
      throws IOException {
    FileChannel ch =
        FileChannel.open(
            path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      long size = ch.size();
      long pos = 0;
      ByteBuffer head = ByteBuffer.allocate(5);
      ByteBuffer payload = ByteBuffer.allocate(Math.min(maxPayload, 1 << 16));
      ByteBuffer sum = ByteBuffer.allocate(4);
      CRC32C crc = new CRC32C();
      while (pos + OVERHEAD <= size) {
        head.clear();
        readFully(ch, head, pos);
        int type = head.get(0) & 0xff;
        int length = head.getInt(1);
        if (length < 0 || length > maxPayload || pos + OVERHEAD + length > size) {
          break;
        }
        if (payload.capacity() < length) {
          payload = ByteBuffer.allocate(Math.max(length, payload.capacity() * 2));
        }
        payload.clear().limit(length);
        readFully(ch, payload, pos + 5);
        sum.clear();
        readFully(ch, sum, pos + 5 + length);
        crc.reset();
        crc.update(head.array(), 0, 5);
        crc.update(payload.array(), 0, length);
        if (((int) crc.getValue() ^ era) != sum.getInt(0)) {
          break;
        }
        payload.flip();
        visitor.record(type, pos, payload);
        pos += OVERHEAD + length;
      }
      long torn = size - pos;
      if (torn > 0) {
        log.warn(
            "{}: dropping {} bytes after the last whole record of era {} at {} (a torn record,"
                + " or records of an earlier era)",
            path,
            torn,
            era,
            pos);
        ch.truncate(pos);
        ch.force(false);
      }
      return new RecordLog(path, ch, pos, era, torn);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    long p = pos;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, p);
      if (n < 0) {
        throw new CorruptStreamException("record log ends early at " + p);
      }
      p += n;
    }
  }

  public Path path() {
    return path;
  }

  /** Bytes of valid records (the append position). */
  public long end() {
    return end;
  }

  public int era() {
    return era;
  }

  /**
   * Empties the log in place: the next record is written at the start of the file, in {@code
   * newEra} (which must differ from the current one). No file operation: the old records stay
   * behind the new ones until overwritten, and opening the log in {@code newEra} cuts them off. The
   * owner persists {@code newEra} (where it will open the log) before it writes the first new
   * record: opened in the old era, a log whose start was rewritten is empty.
   */
  public void restart(int newEra) {
    if (newEra == era) {
      throw new IllegalArgumentException("a restarted log needs a new era, not " + era);
    }
    era = newEra;
    end = 0;
    written = 0;
    if (held != null) {
      held.clear();
    }
  }

  /**
   * Holds the records appended from now on in memory, up to {@code bytes} of them, until {@link
   * #writeHeld} (0: every record is written when appended). Writes the records held so far.
   */
  public void holdUpTo(long bytes) throws IOException {
    writeHeld();
    holdLimit = Math.clamp(bytes, 0, Integer.MAX_VALUE - 64);
  }

  /** Bytes of records appended but held in memory, not yet written to the file. */
  public long heldBytes() {
    return end - written;
  }

  /** Writes the held records to the file (page cache), in one {@code pwrite}. */
  public void writeHeld() throws IOException {
    if (written == end) {
      return;
    }
    held.flip();
    long at = written;
    while (held.hasRemaining()) {
      at += channel.write(held, at);
    }
    held.clear();
    written = end;
  }

  /** Bytes of the file, old records of earlier eras behind {@link #end} included. */
  public long fileBytes() throws IOException {
    return channel.size();
  }

  /** Bytes dropped when the log was opened (a torn or damaged tail). */
  public long tornBytes() {
    return tornBytes;
  }

  /**
   * Appends one record whose payload is {@code header[0, headerLength)} followed by {@code
   * data[dataOffset, dataOffset + dataLength)}, in one gathering write.
   *
   * @return the file position of the record
   */
  public long append(
      int type, byte[] header, int headerLength, byte[] data, int dataOffset, int dataLength)
      throws IOException {
    return append(type, header, headerLength, data, dataOffset, dataLength, FaultPoint.NONE);
  }

  /** As above; {@code fault} is reached after the first half of the record is written. */
  public long append(
      int type,
      byte[] header,
      int headerLength,
      byte[] data,
      int dataOffset,
      int dataLength,
      FaultPoint fault)
      throws IOException {
    int length = headerLength + dataLength;
    head.clear();
    head.put((byte) type).putInt(length).flip();
    crc.reset();
    crc.update(head.array(), 0, 5);
    crc.update(header, 0, headerLength);
    crc.update(data, dataOffset, dataLength);
    tail.clear();
    tail.putInt((int) crc.getValue() ^ era).flip();
    long start = end;
    int total = OVERHEAD + length;
    boolean torn = fault.armed(FaultPoint.JOURNAL_TORN_APPEND);
    if (heldBytes() + total > holdLimit || torn) {
      writeHeld();
    }
    if (total <= holdLimit && !torn) {
      ByteBuffer h = hold(total);
      h.put(head).put(header, 0, headerLength).put(data, dataOffset, dataLength).put(tail);
      end = start + total;
      return start;
    }
    // the record assembled in one reused direct buffer: one pwrite, no seek, no per-call buffers
    ByteBuffer rec = record(total);
    rec.put(head).put(header, 0, headerLength).put(data, dataOffset, dataLength).put(tail).flip();
    if (fault.armed(FaultPoint.JOURNAL_TORN_APPEND)) {
      // a crash in the middle of this write: only its first half reaches the file
      channel.write(rec.duplicate().limit(total / 2), start);
      fault.reached(FaultPoint.JOURNAL_TORN_APPEND);
    }
    long done = 0;
    while (done < total) {
      done += channel.write(rec, start + done);
    }
    end = start + total;
    written = end;
    return start;
  }

  /** The held records' buffer, with room for {@code bytes} more (grown up to the hold limit). */
  private ByteBuffer hold(int bytes) {
    if (held == null || held.remaining() < bytes) {
      long want = Math.max(held == null ? 64 << 10 : 2L * held.capacity(), heldBytes() + bytes);
      ByteBuffer bigger =
          ByteBuffer.allocateDirect((int) Math.min(Math.max(want, bytes), holdLimit));
      if (held != null) {
        bigger.put(held.flip());
      }
      held = bigger;
    }
    return held;
  }

  /** The reused buffer of {@link #append}, cleared, with room for {@code bytes}. */
  private ByteBuffer record(int bytes) {
    if (out == null || out.capacity() < bytes) {
      out = ByteBuffer.allocateDirect(Math.max(bytes, out == null ? 4096 : out.capacity() * 2));
    }
    return out.clear();
  }

  /** Reads {@code length} bytes at file position {@code position}. */
  public void read(long position, byte[] dst, int dstOffset, int length) throws IOException {
    if (position + length > written) {
      writeHeld();
    }
    readFully(channel, ByteBuffer.wrap(dst, dstOffset, length), position);
  }

  /** The payload of the record at {@code position}. */
  public ByteBuffer payload(long position) throws IOException {
    writeHeld();
    ByteBuffer h = ByteBuffer.allocate(5);
    readFully(channel, h, position);
    int length = h.getInt(1);
    ByteBuffer p = ByteBuffer.allocate(length);
    readFully(channel, p, position + 5);
    return p.flip();
  }

  /** Position of the record after the one at {@code position}. */
  public long next(long position) throws IOException {
    writeHeld();
    ByteBuffer h = ByteBuffer.allocate(5);
    readFully(channel, h, position);
    return position + OVERHEAD + h.getInt(1);
  }

  public FileChannel channel() {
    return channel;
  }

  /** Writes the held records and fsyncs the file. */
  public void force() throws IOException {
    writeHeld();
    channel.force(false);
  }

  /** Closes the file; records still held are dropped unwritten. */
  @Override
  public void close() throws IOException {
    end = written;
    channel.close();
  }
}
