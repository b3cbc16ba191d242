package dev.coloha.proxy.group;

import dev.coloha.wire.ColoException;

/** The request contradicts the group's current configuration or state (HTTP 409). */
public final class GroupConflictException extends ColoException {
  public GroupConflictException(String message) {
    super(message);
  }

  @Override
  public String type() {
    return "conflict";
  }
}
