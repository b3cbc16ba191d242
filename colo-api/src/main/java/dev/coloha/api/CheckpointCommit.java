package dev.coloha.api;

import java.util.List;

/**
 * What a checkpoint the secondary applied lets the proxy release: the primary's agent answers it to
 * a checkpoint request, and the coordinator relays it to the proxy ({@code POST
 * /v1/groups/{group}/commits}, with the group's epoch) without looking inside.
 *
 * @param sequence the checkpoint's number
 * @param outputOffsets the primary's output offsets at its pause: output up to them is released
 * @param inputOffsets the primary's consumed input offsets at its pause: input before them is no
 *     longer retained
 * @param closedConnections connections that ended before it
 */
public record CheckpointCommit(
    long sequence,
    List<Offset> outputOffsets,
    List<Offset> inputOffsets,
    List<Integer> closedConnections) {
  public CheckpointCommit {
    outputOffsets = outputOffsets == null ? List.of() : List.copyOf(outputOffsets);
    inputOffsets = inputOffsets == null ? List.of() : List.copyOf(inputOffsets);
    closedConnections = closedConnections == null ? List.of() : List.copyOf(closedConnections);
  }
}
