package dev.coloha.coordinator.group;

import dev.coloha.wire.ColoException;

/** A group operation did not finish in time (it may still finish in the background). */
public final class OperationTimeoutException extends ColoException {
  public OperationTimeoutException(String message) {
    super(message);
  }

  @Override
  public String type() {
    return "timeout";
  }
}
