package dev.coloha.proxy.group;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import java.util.Map;

/** No such mismatch in the group's history (it may have been dropped as the oldest). */
public final class MismatchNotFoundException extends ColoException {
  private final long id;

  public MismatchNotFoundException(String group, long id) {
    super("no mismatch " + id + " in the history of group " + group);
    this.id = id;
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.MISMATCH_NOT_FOUND;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("mismatch", id);
  }
}
