package dev.coloha.proxy.group;

import java.util.Map;
import java.util.Set;

/**
 * Checkpoint {@code sequence} has been applied by the secondary.
 *
 * @param epoch the group's epoch
 * @param sequence checkpoint number N (it closes output interval N)
 * @param outputOffsets the primary's output offset per connection at the pause
 * @param inputOffsets the primary's consumed input offset per connection at the pause
 * @param closedConnections connections that ended since the previous checkpoint
 */
public record Commit(
    long epoch,
    long sequence,
    Map<Integer, Long> outputOffsets,
    Map<Integer, Long> inputOffsets,
    Set<Integer> closedConnections) {
  public Commit {
    outputOffsets = Map.copyOf(outputOffsets);
    inputOffsets = Map.copyOf(inputOffsets);
    closedConnections = Set.copyOf(closedConnections);
  }
}
