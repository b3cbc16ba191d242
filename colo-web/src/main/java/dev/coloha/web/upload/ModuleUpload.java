package dev.coloha.web.upload;

import dev.coloha.wire.LimitExceededException;
import java.io.IOException;
import java.io.InputStream;

/** Reads an uploaded guest module whole, refusing one over its size limit without reading on. */
public final class ModuleUpload {
  private ModuleUpload() {}

  /**
   * @throws LimitExceededException if the body is longer than {@code maxBytes}
   */
  public static byte[] read(InputStream body, long maxBytes) throws IOException {
    byte[] bytes = body.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
    if (bytes.length > maxBytes) {
      throw new LimitExceededException("guest module size", bytes.length, maxBytes);
    }
    return bytes;
  }
}
