package dev.coloha.wire.block;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Reading a disk image's file, a VM's disk or a mirror's base image. */
public final class ImageFiles {
  private ImageFiles() {}

  /**
   * Reads {@code length} bytes at {@code offset} of the file into {@code dst}; what lies beyond the
   * file's physical end (a sparse tail) reads as zeros.
   */
  public static void readZeroFilled(
      FileChannel channel, long offset, byte[] dst, int dstOffset, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(dst, dstOffset, length);
    long pos = offset;
    while (buf.hasRemaining()) {
      int n = channel.read(buf, pos);
      if (n < 0) {
        while (buf.hasRemaining()) {
          buf.put((byte) 0);
        }
        return;
      }
      pos += n;
    }
  }
}
