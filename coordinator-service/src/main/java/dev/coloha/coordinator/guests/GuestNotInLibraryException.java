package dev.coloha.coordinator.guests;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** No guest of that name (or module of that hash) in the library. */
public final class GuestNotInLibraryException extends ColoException {
  public GuestNotInLibraryException(String what) {
    super("no " + what + " in the guest library");
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.NOT_FOUND;
  }
}
