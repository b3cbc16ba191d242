package dev.coloha.wire.block;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** A volume id already in use, or an operation already running on the volume (a resync). */
public final class VolumeConflictException extends ColoException {
  public VolumeConflictException(String message) {
    super(message);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.CONFLICT;
  }
}
