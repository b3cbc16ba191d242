package dev.coloha.wire.frame;

import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.CRC32C;

/**
 * Writes frames {@code u8 type | u32 length (big endian) | payload} to a stream, keeping a running
 * CRC-32C of every byte written since the last {@link #resetChecksum()}.
 *
 * <p>Not thread-safe: one writer per stream. A stream whose frames carry no checksum (the disk's
 * I/O stream) is written {@link #unchecked} and keeps none: the CRC would be one more pass over
 * every byte a VM writes to its disk (issue 18).
 */
public final class FrameOutput {
  private final OutputStream out;
  private final CRC32C crc = new CRC32C();
  private final byte[] head = new byte[5];
  private final boolean checked;
  private long bytesWritten;

  public FrameOutput(OutputStream out) {
    this(out, true);
  }

  private FrameOutput(OutputStream out, boolean checked) {
    this.out = out;
    this.checked = checked;
  }

  /** A writer that keeps no checksum ({@link #checksum()} is refused). */
  public static FrameOutput unchecked(OutputStream out) {
    return new FrameOutput(out, false);
  }

  /** Writes a whole frame. */
  public void frame(int type, byte[] payload, int offset, int length) throws IOException {
    begin(type, length);
    body(payload, offset, length);
  }

  public void frame(int type, byte[] payload) throws IOException {
    frame(type, payload, 0, payload.length);
  }

  /** Writes a frame head; the caller then writes exactly {@code length} bytes with body(). */
  public void begin(int type, int length) throws IOException {
    if (length < 0) {
      throw new IllegalArgumentException("negative frame length " + length);
    }
    head[0] = (byte) type;
    head[1] = (byte) (length >>> 24);
    head[2] = (byte) (length >>> 16);
    head[3] = (byte) (length >>> 8);
    head[4] = (byte) length;
    out.write(head);
    if (checked) {
      crc.update(head);
    }
    bytesWritten += head.length;
  }

  public void body(byte[] bytes, int offset, int length) throws IOException {
    out.write(bytes, offset, length);
    if (checked) {
      crc.update(bytes, offset, length);
    }
    bytesWritten += length;
  }

  public int checksum() {
    requireChecked();
    return (int) crc.getValue();
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

  public long bytesWritten() {
    return bytesWritten;
  }

  public void flush() throws IOException {
    out.flush();
  }
}
