package dev.coloha.wire.block;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/**
 * The connection to a mirror failed or ended. A request in flight at that moment may or may not
 * have been applied.
 */
public final class MirrorUnavailableException extends ColoException {
  public MirrorUnavailableException(String message) {
    super(message);
  }

  public MirrorUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.UNAVAILABLE;
  }
}
