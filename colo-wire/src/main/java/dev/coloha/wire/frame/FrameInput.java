package dev.coloha.wire.frame;

import dev.coloha.wire.CorruptStreamException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32C;

/**
 * Reads frames written by {@link FrameOutput}. Refuses frames longer than the configured maximum
 * before reading their payload, so a corrupt length cannot make the reader allocate gigabytes. A
 * stream whose frames carry no checksum (the disk's I/O stream) is read {@link #unchecked} and
 * keeps none (issue 18: one pass less over every byte a VM writes to its disk).
 */
public final class FrameInput {
  private final InputStream in;
  private final int maxPayload;
  private final CRC32C crc = new CRC32C();
  private final byte[] head = new byte[5];
  private long bytesRead;
  private int checksumBeforeHead;
  private final boolean checked;

  public FrameInput(InputStream in, int maxPayload) {
    this(in, maxPayload, true);
  }

  private FrameInput(InputStream in, int maxPayload, boolean checked) {
    this.in = in;
    this.maxPayload = maxPayload;
    this.checked = checked;
  }

  /** A reader that keeps no checksum (the checksum methods are refused). */
  public static FrameInput unchecked(InputStream in, int maxPayload) {
    return new FrameInput(in, maxPayload, false);
  }

  /**
   * Reads the next frame head.
   *
   * @return the head, or {@code null} at a clean end of stream (no byte of a new frame read)
   */
  public FrameHead next() throws IOException {
    int first = in.read();
    if (first < 0) {
      return null;
    }
    head[0] = (byte) first;
    readFully(head, 1, 4, false);
    if (checked) {
      checksumBeforeHead = (int) crc.getValue();
      crc.update(head);
    }
    bytesRead += head.length;
    int length =
        ((head[1] & 0xff) << 24)
            | ((head[2] & 0xff) << 16)
            | ((head[3] & 0xff) << 8)
            | (head[4] & 0xff);
    if (length < 0 || length > maxPayload) {
      throw new CorruptStreamException(
          "frame of type "
              + (first & 0xff)
              + " declares "
              + Integer.toUnsignedString(length)
              + " bytes; the limit is "
              + maxPayload);
    }
    return new FrameHead(first & 0xff, length);
  }

  /**
   * Reads exactly {@code length} payload bytes into {@code dst}. The checksum takes each part as it
   * arrives, while the rest is still on its way, so a large frame's checksum is not all left for
   * after its last byte.
   */
  public void body(byte[] dst, int offset, int length) throws IOException {
    readFully(dst, offset, length, checked);
    bytesRead += length;
  }

  public byte[] body(FrameHead head) throws IOException {
    byte[] payload = new byte[head.length()];
    body(payload, 0, payload.length);
    return payload;
  }

  public int checksum() {
    requireChecked();
    return (int) crc.getValue();
  }

  /** The checksum as it was before the head of the last frame returned by {@link #next()}. */
  public int checksumBeforeHead() {
    requireChecked();
    return checksumBeforeHead;
  }

  /**
   * Restarts the checksum at the head of the last frame returned by {@link #next()}: for a reader
   * that recognised the first frame of a checksummed sequence after reading its head.
   */
  public void restartChecksumAtLastHead() {
    requireChecked();
    crc.reset();
    crc.update(head);
  }

  public void resetChecksum() {
    requireChecked();
    crc.reset();
  }

  private void requireChecked() {
    if (!checked) {
      throw new IllegalStateException("this frame stream keeps no checksum");
    }
  }

  public long bytesRead() {
    return bytesRead;
  }

  /** Reads exactly {@code length} bytes; with {@code checksum}, each part goes into the CRC. */
  private void readFully(byte[] dst, int offset, int length, boolean checksum) throws IOException {
    int done = 0;
    while (done < length) {
      int n = in.read(dst, offset + done, length - done);
      if (n < 0) {
        throw new EOFException(
            "stream ended inside a frame (" + done + " of " + length + " bytes)");
      }
      if (checksum) {
        crc.update(dst, offset + done, n);
      }
      done += n;
    }
  }
}
