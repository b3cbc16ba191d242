package dev.coloha.coordinator.store;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The coordinator journal's file format: a header, then frames of {@code length} (4 bytes), the
 * {@code CRC32C} of the body (4 bytes) and the body ({@code length} bytes, a {@link JournalEntry}
 * as JSON), big-endian.
 *
 * <p>Reading stops at the first frame that is cut short or fails its checksum. At the end of the
 * file that is a torn tail, what a {@code kill -9} or a host crash in the middle of a write leaves:
 * the save it held never returned, so it is dropped. A bad frame followed by a good one is damage
 * inside the journal (a disk or someone else wrote there): refused, naming the file and offset.
 */
final class JournalFrames {
  /** "COLOJRN" and the format's version. */
  static final byte[] HEADER = {'C', 'O', 'L', 'O', 'J', 'R', 'N', 1};

  static final int FRAME_HEAD = 8;

  /** A body larger than this is not a record but damage (a group is a few KiB). */
  static final int MAX_BODY = 64 << 20;

  private JournalFrames() {}

  /** The frame holding {@code body}, ready to be written. */
  static ByteBuffer frame(byte[] body) {
    ByteBuffer b = ByteBuffer.allocate(FRAME_HEAD + body.length);
    b.putInt(body.length).putInt(crc(body, 0, body.length)).put(body).flip();
    return b;
  }

  static int crc(byte[] bytes, int offset, int length) {
    CRC32C c = new CRC32C();
    c.update(bytes, offset, length);
    return (int) c.getValue();
  }

  /**
   * The bodies of a journal's whole frames.
   *
   * @param end where the whole frames end: the length to truncate the file to
   */
  record Read(List<byte[]> bodies, long end) {}

  /**
   * Reads the frames of a journal's bytes.
   *
   * @throws CorruptJournalException if the header is not a journal's or a damaged frame is followed
   *     by a whole one
   */
  static Read read(Path file, byte[] bytes) {
    if (bytes.length < HEADER.length
        || !java.util.Arrays.equals(bytes, 0, HEADER.length, HEADER, 0, HEADER.length)) {
      throw new CorruptJournalException(
          file, 0, "it does not start with a coordinator journal's header");
    }
    List<byte[]> bodies = new ArrayList<>();
    int at = HEADER.length;
    while (at < bytes.length) {
      int length = wholeFrame(bytes, at);
      if (length < 0) {
        int next = nextWholeFrame(bytes, at + 1);
        if (next > 0) {
          throw new CorruptJournalException(
              file,
              at,
              "a damaged frame is followed by whole ones at offset "
                  + next
                  + " (not a write cut short by a crash)");
        }
        break; // a torn tail
      }
      byte[] body = new byte[length];
      System.arraycopy(bytes, at + FRAME_HEAD, body, 0, length);
      bodies.add(body);
      at += FRAME_HEAD + length;
    }
    return new Read(bodies, at);
  }

  /** The body length of the whole, intact frame at {@code at}, or -1. */
  private static int wholeFrame(byte[] bytes, int at) {
    if (bytes.length - at < FRAME_HEAD) {
      return -1;
    }
    ByteBuffer b = ByteBuffer.wrap(bytes, at, FRAME_HEAD);
    int length = b.getInt();
    int crc = b.getInt();
    if (length <= 0 || length > MAX_BODY || length > bytes.length - at - FRAME_HEAD) {
      return -1;
    }
    return crc(bytes, at + FRAME_HEAD, length) == crc ? length : -1;
  }

  /**
   * The first offset from {@code from} where a whole, intact frame starts, or -1. A torn tail holds
   * none: it is the beginning of one frame's write (or zeros).
   */
  private static int nextWholeFrame(byte[] bytes, int from) {
    for (int at = from; at <= bytes.length - FRAME_HEAD; at++) {
      if (wholeFrame(bytes, at) >= 0) {
        return at;
      }
    }
    return -1;
  }
}
