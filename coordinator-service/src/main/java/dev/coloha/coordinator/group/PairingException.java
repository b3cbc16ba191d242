package dev.coloha.coordinator.group;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** An initial sync failed or did not finish in time. */
public final class PairingException extends ColoException {
  public PairingException(String message) {
    super(message);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.UNAVAILABLE;
  }
}
