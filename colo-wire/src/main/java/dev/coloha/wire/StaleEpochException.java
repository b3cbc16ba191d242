package dev.coloha.wire;

import dev.coloha.api.ErrorKind;
import java.util.Map;

/** A command or stream carried an epoch older than the receiver's: the sender is fenced off. */
public final class StaleEpochException extends ColoException {
  private final long currentEpoch;
  private final long offeredEpoch;

  public StaleEpochException(long currentEpoch, long offeredEpoch) {
    super("epoch " + offeredEpoch + " is stale; current epoch is " + currentEpoch);
    this.currentEpoch = currentEpoch;
    this.offeredEpoch = offeredEpoch;
  }

  public long currentEpoch() {
    return currentEpoch;
  }

  public long offeredEpoch() {
    return offeredEpoch;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("currentEpoch", currentEpoch, "offeredEpoch", offeredEpoch);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.STALE_EPOCH;
  }
}
