package dev.coloha.coordinator.group;

import dev.coloha.api.ErrorKind;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.wire.ColoException;
import java.util.Map;

/** The group's state does not allow the operation now. */
public final class GroupStateException extends ColoException {
  private final GroupState state;

  public GroupStateException(String group, GroupState state, String operation) {
    super("group " + group + " is " + state + ": cannot " + operation);
    this.state = state;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("state", state.name());
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.CONFLICT;
  }
}
