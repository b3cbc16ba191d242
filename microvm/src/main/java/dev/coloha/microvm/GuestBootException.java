package dev.coloha.microvm;

import dev.coloha.wire.ColoException;

/** The guest's colo_init returned an error. */
public final class GuestBootException extends ColoException {
  public GuestBootException(String message) {
    super(message);
  }

  @Override
  public String type() {
    return "guest-boot-failed";
  }
}
