package dev.coloha.microvm.guest;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** No guest of that name exists. */
public final class UnknownGuestException extends ColoException {
  public UnknownGuestException(String name) {
    super("no guest named '" + name + "'");
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.UNKNOWN_GUEST;
  }
}
