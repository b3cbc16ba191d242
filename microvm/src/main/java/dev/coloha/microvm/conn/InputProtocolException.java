package dev.coloha.microvm.conn;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** Input that contradicts what came before (a gap in offsets, data for an unknown connection). */
public final class InputProtocolException extends ColoException {
  public InputProtocolException(String message) {
    super(message);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.INPUT_PROTOCOL;
  }
}
