package dev.coloha.agent.disk;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import java.io.IOException;

/**
 * A mirrored disk operation failed. The guest sees a disk I/O error; the agent can read the typed
 * reason (e.g. {@link dev.coloha.wire.StaleEpochException}: this VM was fenced).
 */
public final class MirrorIOException extends IOException {
  private final ColoException reason;

  public MirrorIOException(String operation, ColoException reason) {
    super(operation + " failed: " + reason.getMessage(), reason);
    this.reason = reason;
  }

  /** The mirror's typed error. */
  public ColoException reason() {
    return reason;
  }

  /** Its kind. */
  public ErrorKind kind() {
    return reason.kind();
  }

  /** Its slug, e.g. {@code stale-epoch}, {@code sector-range}, {@code unavailable}. */
  public String type() {
    return reason.type();
  }
}
