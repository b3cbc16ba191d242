package dev.coloha.microvm;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** The guest's colo_init returned an error. */
public final class GuestBootException extends ColoException {
  public GuestBootException(String message) {
    super(message);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.GUEST_BOOT_FAILED;
  }
}
