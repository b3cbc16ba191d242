package dev.coloha.proxy.group;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import java.util.Map;

/** No protected service of that name on this proxy. */
public final class GroupNotFoundException extends ColoException {
  private final String group;

  public GroupNotFoundException(String group) {
    super("no group " + group);
    this.group = group;
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.GROUP_NOT_FOUND;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("group", group);
  }
}
