package dev.coloha.agent.vm;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** The request conflicts with what exists (an id in use, a port already served). */
public final class VmConflictException extends ColoException {
  public VmConflictException(String message) {
    super(message);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.CONFLICT;
  }
}
