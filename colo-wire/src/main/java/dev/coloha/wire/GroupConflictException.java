package dev.coloha.wire;

import dev.coloha.api.ErrorKind;
import java.util.Map;

/**
 * A request about a group conflicts with what exists: on the coordinator an existing group (id or
 * port in use), on the proxy the group's current configuration or state. HTTP 409.
 */
public final class GroupConflictException extends ColoException {
  private final String field;

  public GroupConflictException(String message) {
    this(null, message);
  }

  /**
   * @param field the request field in conflict, e.g. {@code port}, {@code sync} or {@code
   *     listen.port}
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
