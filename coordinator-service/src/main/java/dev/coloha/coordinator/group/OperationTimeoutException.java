package dev.coloha.coordinator.group;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** A group operation did not finish in time (it may still finish in the background). */
public final class OperationTimeoutException extends ColoException {
  public OperationTimeoutException(String message) {
    super(message);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.TIMEOUT;
  }
}
