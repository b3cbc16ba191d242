package dev.coloha.wire;

import dev.coloha.api.ErrorKind;
import java.util.Map;

/** A configured limit (size, count, queue depth) would be exceeded; nothing was applied. */
public final class LimitExceededException extends ColoException {
  private final String limit;
  private final long maximum;

  public LimitExceededException(String limit, long requested, long maximum) {
    super(limit + " limit exceeded: " + requested + " > " + maximum);
    this.limit = limit;
    this.maximum = maximum;
  }

  public String limit() {
    return limit;
  }

  public long maximum() {
    return maximum;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("limit", limit, "maximum", maximum);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.LIMIT_EXCEEDED;
  }
}
