package dev.coloha.wire;

import dev.coloha.api.ErrorKind;

/**
 * A binary stream or file is malformed, truncated or fails its checksum. Whatever it carried is
 * discarded whole.
 */
public final class CorruptStreamException extends ColoException {
  public CorruptStreamException(String message) {
    super(message);
  }

  public CorruptStreamException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.CORRUPT_STREAM;
  }
}
