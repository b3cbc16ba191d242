package dev.coloha.microvm.device;

import dev.coloha.wire.block.ImageFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A block device backed by an image file on the agent's host (standalone VMs). */
public final class FileBlockDevice implements BlockDevice {
  private static final Logger log = LoggerFactory.getLogger(FileBlockDevice.class);
  private static final ScheduledExecutorService SYNCER =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("disk-sync").factory());

  private final Path path;
  private final FileChannel channel;
  private final long size;
  private final FlushPolicy flushPolicy;
  private final Duration flushInterval;
  private final AtomicBoolean syncPending = new AtomicBoolean();

  private FileBlockDevice(
      Path path, FileChannel channel, long size, FlushPolicy flushPolicy, Duration flushInterval) {
    this.path = path;
    this.channel = channel;
    this.size = size;
    this.flushPolicy = flushPolicy;
    this.flushInterval = flushInterval;
  }

  /**
   * Opens the image at {@code path}, creating it (sparse, zero-filled) with {@code sizeBytes} if it
   * does not exist. An existing image keeps its size, which must be a whole number of sectors.
   */
  public static FileBlockDevice open(Path path, long sizeBytes, FlushPolicy flushPolicy)
      throws IOException {
    return open(path, sizeBytes, flushPolicy, Duration.ofSeconds(1));
  }

  /** As {@link #open(Path, long, FlushPolicy)}, with the period of the INTERVAL policy. */
  public static FileBlockDevice open(
      Path path, long sizeBytes, FlushPolicy flushPolicy, Duration flushInterval)
      throws IOException {
    if (sizeBytes <= 0 || sizeBytes % SECTOR_SIZE != 0) {
      throw new IllegalArgumentException(
          "disk size " + sizeBytes + " must be a positive multiple of " + SECTOR_SIZE);
    }
    Files.createDirectories(path.toAbsolutePath().getParent());
    FileChannel ch =
        FileChannel.open(
            path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      long existing = ch.size();
      long size = existing == 0 ? sizeBytes : existing;
      if (existing == 0) {
        ch.truncate(0);
        ch.write(ByteBuffer.wrap(new byte[1]), sizeBytes - 1);
      }
      if (size % SECTOR_SIZE != 0) {
        throw new IOException("image " + path + " is " + size + " bytes, not whole sectors");
      }
      return new FileBlockDevice(path, ch, size, flushPolicy, flushInterval);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  public Path path() {
    return path;
  }

  @Override
  public long sizeBytes() {
    return size;
  }

  private void check(long offset, int length) throws IOException {
    if (offset < 0 || length < 0 || offset % SECTOR_SIZE != 0 || length % SECTOR_SIZE != 0) {
      throw new IOException("unaligned disk access at " + offset + " length " + length);
    }
    if (offset + length > size) {
      throw new IOException("disk access at " + offset + "+" + length + " beyond " + size);
    }
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
    check(offset, length);
    // a sparse tail beyond the physical end reads as zeros
    ImageFiles.readZeroFilled(channel, offset, dst, dstOffset, length);
  }

  @Override
  public void write(long offset, byte[] src, int srcOffset, int length) throws IOException {
    check(offset, length);
    ByteBuffer buf = ByteBuffer.wrap(src, srcOffset, length);
    long pos = offset;
    while (buf.hasRemaining()) {
      pos += channel.write(buf, pos);
    }
  }

  @Override
  public void flush() throws IOException {
    switch (flushPolicy) {
      case FSYNC -> channel.force(false);
      case INTERVAL -> {
        if (syncPending.compareAndSet(false, true)) {
          SYNCER.schedule(this::backgroundSync, flushInterval.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
      case OS -> {
        // the page cache has it
      }
    }
  }

  private void backgroundSync() {
    syncPending.set(false);
    try {
      if (channel.isOpen()) {
        channel.force(false);
      }
    } catch (IOException e) {
      log.warn("background fsync of {} failed: {}", path, e.getMessage());
    }
  }

  @Override
  public void close() throws IOException {
    if (channel.isOpen() && flushPolicy != FlushPolicy.OS) {
      channel.force(false);
    }
    channel.close();
  }
}
