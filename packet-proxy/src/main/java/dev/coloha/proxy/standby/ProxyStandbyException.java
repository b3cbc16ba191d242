package dev.coloha.proxy.standby;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** A standby proxy is given no group: it serves none until it holds the lock (HTTP 503). */
public final class ProxyStandbyException extends ColoException {
  public ProxyStandbyException() {
    super("this proxy is the STANDBY of a pair: it serves no group until the active one is gone");
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.UNAVAILABLE;
  }
}
