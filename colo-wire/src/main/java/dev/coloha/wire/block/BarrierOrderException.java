package dev.coloha.wire.block;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;
import java.util.Map;

/**
 * A barrier out of order: a primary marks barriers in strictly rising order, and a secondary
 * commits only a barrier after its last committed one that the primary actually marked.
 */
public final class BarrierOrderException extends ColoException {
  private final long barrier;
  private final long last;

  /**
   * @param barrier the barrier asked for
   * @param last the last barrier marked (primary) or committed (secondary)
   */
  public BarrierOrderException(long barrier, long last, String message) {
    super(message);
    this.barrier = barrier;
    this.last = last;
  }

  public long barrier() {
    return barrier;
  }

  public long last() {
    return last;
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.BARRIER_ORDER;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("barrier", barrier, "last", last);
  }
}
