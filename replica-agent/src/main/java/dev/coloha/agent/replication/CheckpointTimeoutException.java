package dev.coloha.agent.replication;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import java.time.Duration;
import java.util.Map;

/** The secondary did not acknowledge a checkpoint in time; the primary VM kept running. */
public final class CheckpointTimeoutException extends ColoException {
  private final long sequence;

  public CheckpointTimeoutException(String vm, long sequence, Duration timeout) {
    super(
        "secondary of VM "
            + vm
            + " did not acknowledge checkpoint "
            + sequence
            + " within "
            + timeout);
    this.sequence = sequence;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("sequence", sequence);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.TIMEOUT;
  }
}
