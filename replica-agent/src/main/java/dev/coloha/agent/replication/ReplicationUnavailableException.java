package dev.coloha.agent.replication;

import dev.coloha.api.ErrorKind;
import dev.coloha.api.agent.LinkState;
import dev.coloha.wire.ColoException;
import java.util.Map;

/** The VM has no working link to a secondary (not paired, syncing, or the link broke). */
public final class ReplicationUnavailableException extends ColoException {
  private final LinkState state;

  public ReplicationUnavailableException(String vm, LinkState state, String reason) {
    super("VM " + vm + " cannot checkpoint to a secondary now (" + state + "): " + reason);
    this.state = state;
  }

  public LinkState state() {
    return state;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("linkState", state.name());
  }

  @Override
  public ErrorKind kind() {
    return state == LinkState.RESYNC_REQUIRED ? ErrorKind.RESYNC_REQUIRED : ErrorKind.UNAVAILABLE;
  }
}
