package dev.coloha.wire.checkpoint;

import java.util.List;

/**
 * Everything about a VM that lives on the host rather than in linear memory.
 *
 * @param interval the output interval that the pause closed (equal to the checkpoint number)
 * @param diskBarrier disk barrier number marked at the pause (0 when the VM has no mirrored disk)
 * @param connections live connections
 * @param closedConnections connections that ended since the previous checkpoint (tombstones, so
 *     that a secondary forgets them too)
 * @param timers armed timers
 */
public record DeviceState(
    long interval,
    long diskBarrier,
    List<ConnectionState> connections,
    List<Integer> closedConnections,
    List<TimerState> timers) {

  public DeviceState {
    connections = List.copyOf(connections);
    closedConnections = List.copyOf(closedConnections);
    timers = List.copyOf(timers);
  }

  public static DeviceState empty() {
    return new DeviceState(0, 0, List.of(), List.of(), List.of());
  }
}
