package dev.coloha.agent.replication;

import dev.coloha.api.ErrorKind;
import dev.coloha.api.agent.ReplicaRole;
import dev.coloha.wire.ColoException;
import java.util.Map;

/** A primary's operation was asked of a VM that is not the primary here. */
public final class NotPrimaryException extends ColoException {
  private final ReplicaRole role;

  public NotPrimaryException(String vm, ReplicaRole role) {
    super("VM " + vm + " is " + role + " on this agent, not PRIMARY");
    this.role = role;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("role", role.name());
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.NOT_PRIMARY;
  }
}
