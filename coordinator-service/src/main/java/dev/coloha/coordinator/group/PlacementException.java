package dev.coloha.coordinator.group;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** No host (or proxy) is available for a group now. */
public final class PlacementException extends ColoException {
  public PlacementException(String message) {
    super(message);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.UNAVAILABLE;
  }
}
