package dev.coloha.microvm;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/**
 * A checkpoint cannot be applied to this VM: another guest module, or a delta whose base is not the
 * checkpoint the VM last applied. Nothing was changed.
 */
public final class CheckpointMismatchException extends ColoException {
  public CheckpointMismatchException(String message) {
    super(message);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.CHECKPOINT_MISMATCH;
  }
}
