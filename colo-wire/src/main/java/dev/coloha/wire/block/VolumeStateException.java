package dev.coloha.wire.block;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import java.util.Map;

/**
 * The volume's role or replication state does not allow the operation (a commit on a primary, I/O
 * on a secondary that is not in sync yet, a write to a fenced primary...). Nothing was applied.
 */
public final class VolumeStateException extends ColoException {
  private final String volume;
  private final String state;

  public VolumeStateException(String volume, String state, String message) {
    super("volume " + volume + " (" + state + "): " + message);
    this.volume = volume;
    this.state = state;
  }

  public String volume() {
    return volume;
  }

  /** The state that refused, e.g. {@code SECONDARY} or {@code FENCED}. */
  public String state() {
    return state;
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.VOLUME_STATE;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("volume", volume, "state", state);
  }
}
