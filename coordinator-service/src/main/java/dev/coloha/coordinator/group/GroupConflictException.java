package dev.coloha.coordinator.group;

import dev.coloha.wire.ColoException;

/** The request conflicts with an existing group (id or port in use). */
public final class GroupConflictException extends ColoException {
  public GroupConflictException(String message) {
    super(message);
  }

  @Override
  public String type() {
    return "conflict";
  }
}
