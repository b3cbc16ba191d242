package dev.coloha.proxy.group;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import java.util.Map;

/** The request contradicts the group's current configuration or state (HTTP 409). */
public final class GroupConflictException extends ColoException {
  private final String field;

  public GroupConflictException(String message) {
    this(null, message);
  }

  /**
   * @param field the request field in conflict, e.g. {@code sync} or {@code listen.port}
   */
  public GroupConflictException(String field, String message) {
    super(field == null ? message : field + ": " + message);
    this.field = field;
  }

  @Override
  public Map<String, Object> details() {
    return field == null ? Map.of() : Map.of("field", field);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.CONFLICT;
  }
}
