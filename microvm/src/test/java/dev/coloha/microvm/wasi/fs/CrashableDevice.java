package dev.coloha.microvm.wasi.fs;

import dev.coloha.microvm.device.BlockDevice;
import java.io.IOException;
import java.util.Random;
import java.util.TreeSet;

/**
 * An in-memory block device that remembers what was flushed: a crash loses every unflushed write
 * ({@link #crashDroppingAll}) or, like a page cache written back in any order, keeps the latest
 * write of each unflushed sector or not, at random ({@link #crashTorn}). It can also fail every
 * write after a given number ({@link #failAfterWrites}), a crash in the middle of a call.
 */
final class CrashableDevice implements BlockDevice {
  private final byte[] durable;
  private final byte[] current;
  private final TreeSet<Integer> unflushed = new TreeSet<>();
  private int writesLeft = -1;
  int flushes;

  CrashableDevice(int sectors) {
    durable = new byte[sectors * SECTOR_SIZE];
    current = new byte[sectors * SECTOR_SIZE];
  }

  @Override
  public long sizeBytes() {
    return current.length;
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
    check(offset, length);
    System.arraycopy(current, (int) offset, dst, dstOffset, length);
  }

  @Override
  public void write(long offset, byte[] src, int srcOffset, int length) throws IOException {
    check(offset, length);
    if (writesLeft == 0) {
      throw new IOException("crashed");
    }
    if (writesLeft > 0) {
      writesLeft--;
    }
    System.arraycopy(src, srcOffset, current, (int) offset, length);
    for (int s = (int) (offset / SECTOR_SIZE); s < (offset + length) / SECTOR_SIZE; s++) {
      unflushed.add(s);
    }
  }

  @Override
  public void flush() throws IOException {
    if (writesLeft == 0) {
      throw new IOException("crashed");
    }
    for (int s : unflushed) {
      System.arraycopy(current, s * SECTOR_SIZE, durable, s * SECTOR_SIZE, SECTOR_SIZE);
    }
    unflushed.clear();
    flushes++;
  }

  private void check(long offset, int length) throws IOException {
    if (offset % SECTOR_SIZE != 0
        || length % SECTOR_SIZE != 0
        || offset + length > current.length) {
      throw new IOException("bad request " + offset + "+" + length);
    }
  }

  void failAfterWrites(int n) {
    writesLeft = n;
  }

  void crashDroppingAll() {
    System.arraycopy(durable, 0, current, 0, current.length);
    unflushed.clear();
    writesLeft = -1;
  }

  void crashTorn(Random random) {
    for (int s : unflushed) {
      if (random.nextBoolean()) {
        System.arraycopy(durable, s * SECTOR_SIZE, current, s * SECTOR_SIZE, SECTOR_SIZE);
      }
    }
    System.arraycopy(current, 0, durable, 0, current.length);
    unflushed.clear();
    writesLeft = -1;
  }

  @Override
  public void close() {}
}
