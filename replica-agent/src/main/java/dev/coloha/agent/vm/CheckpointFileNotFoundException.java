package dev.coloha.agent.vm;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** No checkpoint file of that name. */
public final class CheckpointFileNotFoundException extends ColoException {
  public CheckpointFileNotFoundException(String file) {
    super("no checkpoint file '" + file + "'");
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.CHECKPOINT_FILE_NOT_FOUND;
  }
}
