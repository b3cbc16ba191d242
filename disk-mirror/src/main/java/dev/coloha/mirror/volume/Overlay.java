package dev.coloha.mirror.volume;

import dev.coloha.wire.block.BlockLimits;
import dev.coloha.wire.frame.PayloadBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A secondary VM's own writes since the last commit (QEMU's active disk): a checksummed log of
 * {@code u64 offset, data} records with an in-memory index from sector to the newest copy in the
 * log. Reads see the overlay first, then the base image. Discarded at every commit ({@link
 * #restart}: the same file rewritten from its start in a new era), merged into the base at
 * failover.
 */
final class Overlay implements AutoCloseable {
  static final int WRITE = 0x11;
  private static final int SECTOR = BlockLimits.SECTOR_SIZE;
  private static final int HEADER = 8;

  private final RecordLog log;
  private final Map<Long, Long> sectors;
  private final PayloadBuilder header = new PayloadBuilder(16);
  private long writes;

  private Overlay(RecordLog log, Map<Long, Long> sectors, long writes) {
    this.log = log;
    this.sectors = sectors;
    this.writes = writes;
  }

  /** Opens the overlay of era {@code era} in {@code path} (records of other eras are cut off). */
  static Overlay open(Path path, int maxPayload, int era) throws IOException {
    Map<Long, Long> sectors = new HashMap<>();
    long[] writes = {0};
    RecordLog log =
        RecordLog.open(
            path,
            maxPayload,
            era,
            (type, position, p) -> {
              if (type != WRITE) {
                throw new IOException("overlay record of unknown type " + type);
              }
              long offset = p.getLong();
              index(sectors, offset, position + 5 + HEADER, p.remaining());
              writes[0]++;
            });
    return new Overlay(log, sectors, writes[0]);
  }

  private static void index(Map<Long, Long> sectors, long offset, long dataPos, int length) {
    for (int i = 0; i < length / SECTOR; i++) {
      sectors.put(offset / SECTOR + i, dataPos + (long) i * SECTOR);
    }
  }

  Path path() {
    return log.path();
  }

  /** Bytes of the overlay file. */
  long bytes() {
    return log.end();
  }

  /** Distinct sectors the VM has written since the last commit. */
  int sectors() {
    return sectors.size();
  }

  long writes() {
    return writes;
  }

  boolean isEmpty() {
    return log.end() == 0;
  }

  /** Bytes of the file, records of earlier eras included. */
  long fileBytes() throws IOException {
    return log.fileBytes();
  }

  int era() {
    return log.era();
  }

  /**
   * Discards every write in place: the file is written again from its start in {@code era}, which
   * the volume's state must already name (see {@link RecordLog#restart}).
   */
  void restart(int era) {
    log.restart(era);
    sectors.clear();
    writes = 0;
  }

  void write(long offset, byte[] data) throws IOException {
    header.reset().i64(offset);
    long pos = log.append(WRITE, header.array(), header.size(), data, 0, data.length);
    index(sectors, offset, pos + 5 + HEADER, data.length);
    writes++;
  }

  /** Reads through the overlay: its sectors where it has them, {@code below} elsewhere. */
  void read(long offset, byte[] dst, int dstOffset, int length, SectorSource below)
      throws IOException {
    int n = length / SECTOR;
    int i = 0;
    while (i < n) {
      Long at = sectors.get(offset / SECTOR + i);
      if (at != null) {
        log.read(at, dst, dstOffset + i * SECTOR, SECTOR);
        i++;
        continue;
      }
      int run = 1;
      while (i + run < n && !sectors.containsKey(offset / SECTOR + i + run)) {
        run++;
      }
      below.read(offset + (long) i * SECTOR, dst, dstOffset + i * SECTOR, run * SECTOR);
      i += run;
    }
  }

  /**
   * Writes every overlay record into {@code base} in log order (failover). Idempotent.
   *
   * @return the number of writes merged
   */
  long mergeInto(BaseImage base, FaultPoint faults) throws IOException {
    long pos = 0;
    long merged = 0;
    while (pos < log.end()) {
      ByteBuffer p = log.payload(pos);
      long offset = p.getLong();
      base.write(offset, p.array(), p.position(), p.remaining());
      merged++;
      if (merged == writes / 2) {
        faults.reached(FaultPoint.FAILOVER_MID_MERGE);
      }
      pos = log.next(pos);
    }
    return merged;
  }

  FileChannel channel() {
    return log.channel();
  }

  void force() throws IOException {
    log.force();
  }

  @Override
  public void close() throws IOException {
    log.close();
  }
}
