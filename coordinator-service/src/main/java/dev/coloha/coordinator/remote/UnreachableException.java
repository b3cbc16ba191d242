package dev.coloha.coordinator.remote;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** A service did not answer (refused, timed out, or its circuit breaker is open). */
public final class UnreachableException extends ColoException {
  private final String target;

  public UnreachableException(String target, String call, Throwable cause) {
    super(call + " on " + target + ": no answer (" + cause + ")", cause);
    this.target = target;
  }

  public String target() {
    return target;
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.UNAVAILABLE;
  }
}
