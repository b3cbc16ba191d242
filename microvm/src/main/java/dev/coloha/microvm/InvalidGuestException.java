package dev.coloha.microvm;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** A Wasm module is malformed, too large, or does not follow guest ABI v1. */
public final class InvalidGuestException extends ColoException {
  public InvalidGuestException(String message) {
    super(message);
  }

  public InvalidGuestException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.INVALID_GUEST;
  }
}
