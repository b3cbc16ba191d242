package dev.coloha.wire;

import dev.coloha.api.ErrorKind;
import java.util.Map;

/**
 * A request names a value that cannot be accepted (out of the limits the hosts advertise, an
 * unknown guest, an address that does not parse...). Nothing was changed. {@link #field()} names
 * the request field, as the API spells it, so that a portal can point at it.
 */
public final class InvalidFieldException extends ColoException {
  private final String field;

  /**
   * @param field the request field, e.g. {@code memoryBytes} or {@code policy.minIntervalMs}
   * @param problem what is wrong with it, e.g. {@code must be at most 1073741824}
   */
  public InvalidFieldException(String field, String problem) {
    super(field + ": " + problem);
    this.field = field;
  }

  /**
   * What a domain check that failed with {@code e} means for the request: an invalid field when its
   * message names one ({@code "field: problem"}), else {@code e} itself.
   */
  public static RuntimeException of(IllegalArgumentException e) {
    String m = String.valueOf(e.getMessage());
    int colon = m.indexOf(": ");
    return colon > 0 ? new InvalidFieldException(m.substring(0, colon), m.substring(colon + 2)) : e;
  }

  public String field() {
    return field;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("field", field);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.INVALID_FIELD;
  }
}
