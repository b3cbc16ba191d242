package dev.coloha.coordinator.guests;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import java.util.List;
import java.util.Map;

/** A guest cannot be removed while groups run it. */
public final class GuestInUseException extends ColoException {
  private final List<String> groups;

  public GuestInUseException(String name, List<String> groups) {
    super("guest '" + name + "' is used by groups " + groups + "; delete them first");
    this.groups = List.copyOf(groups);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.CONFLICT;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("groups", groups);
  }
}
