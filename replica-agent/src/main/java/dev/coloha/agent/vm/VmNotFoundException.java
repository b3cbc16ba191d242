package dev.coloha.agent.vm;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** No VM of that id on this agent. */
public final class VmNotFoundException extends ColoException {
  public VmNotFoundException(String id) {
    super("no VM '" + id + "' on this agent");
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.VM_NOT_FOUND;
  }
}
