package dev.coloha.microvm;

import dev.coloha.api.ErrorKind;
import dev.coloha.api.agent.VmState;
import dev.coloha.wire.ColoException;

/** An operation is not allowed in the VM's current state (e.g. capture of a crashed VM). */
public final class VmStateException extends ColoException {
  private final VmState state;

  public VmStateException(String vmId, VmState state, String operation) {
    super("VM " + vmId + " is " + state + ": cannot " + operation);
    this.state = state;
  }

  public VmState state() {
    return state;
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.VM_STATE;
  }
}
