package dev.coloha.coordinator.hosts;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** No host of that name has registered. */
public final class UnknownHostException extends ColoException {
  public UnknownHostException(String host) {
    super("no host named '" + host + "' has registered");
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.NOT_FOUND;
  }
}
