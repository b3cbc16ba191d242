package dev.coloha.wire.block;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** A mirror operation did not complete in time (a reply, or a barrier that never arrived). */
public final class MirrorTimeoutException extends ColoException {
  public MirrorTimeoutException(String message) {
    super(message);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.TIMEOUT;
  }
}
