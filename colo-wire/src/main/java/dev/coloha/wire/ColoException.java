package dev.coloha.wire;

import java.util.Map;

/**
 * Base of every error COLO HA raises on purpose. Each subclass says what happened and carries what
 * the caller needs to recover; {@link #type()} is the stable slug used as the RFC 9457 problem type
 * and as the wire error code.
 */
public abstract class ColoException extends RuntimeException {

  protected ColoException(String message) {
    super(message);
  }

  protected ColoException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Stable, lower-case slug naming the kind of error, e.g. {@code stale-epoch}. */
  public abstract String type();

  /** What a caller needs to recover (e.g. the current epoch), as extra problem properties. */
  public Map<String, Object> details() {
    return Map.of();
  }
}
