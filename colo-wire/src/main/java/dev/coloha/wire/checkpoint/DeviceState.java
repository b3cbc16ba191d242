package dev.coloha.wire.checkpoint;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Everything about a VM that lives on the host rather than in linear memory.
 *
 * @param interval the output interval that the pause closed (equal to the checkpoint number)
 * @param diskBarrier disk barrier number marked at the pause (0 when the VM has no mirrored disk)
 * @param connections live connections
 * @param closedConnections connections that ended since the previous checkpoint (tombstones, so
 *     that a secondary forgets them too)
 * @param timers armed timers
 * @param guestState host state that belongs to the guest's ABI, opaque here (empty for guest ABI
 *     v1; for a WASI guest its descriptor table and where it is blocked)
 */
public record DeviceState(
    long interval,
    long diskBarrier,
    List<ConnectionState> connections,
    List<Integer> closedConnections,
    List<TimerState> timers,
    byte[] guestState) {

  private static final byte[] NONE = new byte[0];

  public DeviceState {
    connections = List.copyOf(connections);
    closedConnections = List.copyOf(closedConnections);
    timers = List.copyOf(timers);
    guestState = guestState == null || guestState.length == 0 ? NONE : guestState;
  }

  /** Device state without ABI-specific guest state (guest ABI v1). */
  public DeviceState(
      long interval,
      long diskBarrier,
      List<ConnectionState> connections,
      List<Integer> closedConnections,
      List<TimerState> timers) {
    this(interval, diskBarrier, connections, closedConnections, timers, NONE);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeviceState d
        && interval == d.interval
        && diskBarrier == d.diskBarrier
        && connections.equals(d.connections)
        && closedConnections.equals(d.closedConnections)
        && timers.equals(d.timers)
        && Arrays.equals(guestState, d.guestState);
  }

  @Override
  public int hashCode() {
    return Objects.hash(interval, diskBarrier, connections, closedConnections, timers)
        + Arrays.hashCode(guestState);
  }

  @Override
  public String toString() {
    return "DeviceState[interval=%d, diskBarrier=%d, connections=%s, closed=%s, timers=%s, guestState=%d bytes]"
        .formatted(
            interval, diskBarrier, connections, closedConnections, timers, guestState.length);
  }

  public static DeviceState empty() {
    return new DeviceState(0, 0, List.of(), List.of(), List.of());
  }
}
