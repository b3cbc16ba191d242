package dev.coloha.coordinator.group;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** No group of that id. */
public final class GroupNotFoundException extends ColoException {
  public GroupNotFoundException(String id) {
    super("no group '" + id + "'");
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.NOT_FOUND;
  }
}
