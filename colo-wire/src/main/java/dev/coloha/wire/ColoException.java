package dev.coloha.wire;

import dev.coloha.api.ErrorKind;
import java.util.Map;

/**
 * Base of every error COLO HA raises on purpose. Each subclass says what happened and carries what
 * the caller needs to recover; {@link #kind()} names the kind of error, whose slug ({@link
 * #type()}) is the RFC 9457 problem type and the wire error code, and whose status the problem is
 * answered with.
 */
public abstract class ColoException extends RuntimeException {

  protected ColoException(String message) {
    super(message);
  }

  protected ColoException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The kind of error. */
  public abstract ErrorKind kind();

  /** Stable, lower-case slug naming the kind of error, e.g. {@code stale-epoch}. */
  public String type() {
    return kind().slug();
  }

  /** What a caller needs to recover (e.g. the current epoch), as extra problem properties. */
  public Map<String, Object> details() {
    return Map.of();
  }
}
