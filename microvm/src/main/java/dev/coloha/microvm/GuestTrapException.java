package dev.coloha.microvm;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** The guest trapped (crashed). The VM stops receiving events. */
public final class GuestTrapException extends ColoException {
  private final String vmId;

  public GuestTrapException(String vmId, String during, Throwable cause) {
    super("guest of VM " + vmId + " trapped in " + during + ": " + describe(cause), cause);
    this.vmId = vmId;
  }

  private static String describe(Throwable t) {
    if (t instanceof StackOverflowError) {
      return "call stack exhausted";
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  public String vmId() {
    return vmId;
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.GUEST_TRAP;
  }
}
