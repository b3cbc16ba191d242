package dev.coloha.mirror.volume;

import dev.coloha.wire.block.BlockLimits;
import dev.coloha.wire.block.ImageFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A volume's base image: a sparse file of fixed size in 512-byte sectors. On a primary it is what
 * the VM sees; on a secondary it holds the state as of the last committed barrier.
 */
public final class BaseImage implements AutoCloseable {
  private final Path path;
  private final FileChannel channel;
  private final long size;

  private BaseImage(Path path, FileChannel channel, long size) {
    this.path = path;
    this.channel = channel;
    this.size = size;
  }

  /** Creates a zero-filled sparse image of {@code size} bytes, or opens it if it exists. */
  public static BaseImage open(Path path, long size) throws IOException {
    if (size <= 0 || size % BlockLimits.SECTOR_SIZE != 0) {
      throw new IllegalArgumentException(
          "volume size " + size + " must be a positive multiple of " + BlockLimits.SECTOR_SIZE);
    }
    FileChannel ch =
        FileChannel.open(
            path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      if (ch.size() != size) {
        if (ch.size() > size) {
          throw new IOException("image " + path + " is larger than its volume (" + size + ")");
        }
        ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
      }
      return new BaseImage(path, ch, size);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  public Path path() {
    return path;
  }

  public long size() {
    return size;
  }

  public FileChannel channel() {
    return channel;
  }

  public void read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
    ImageFiles.readZeroFilled(channel, offset, dst, dstOffset, length);
  }

  public void write(long offset, byte[] src, int srcOffset, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(src, srcOffset, length);
    long pos = offset;
    while (buf.hasRemaining()) {
      pos += channel.write(buf, pos);
    }
  }

  /** Every byte zero again (a resync target starts from here). */
  public void zero() throws IOException {
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(new byte[1]), size - 1);
    channel.force(true);
  }

  public void force() throws IOException {
    channel.force(false);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
