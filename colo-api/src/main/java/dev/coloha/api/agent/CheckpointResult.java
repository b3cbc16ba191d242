package dev.coloha.api.agent;

import dev.coloha.api.CheckpointCommit;
import dev.coloha.api.Offset;
import java.util.List;

/**
 * A checkpoint acknowledged by the secondary, the answer of {@code POST /v1/vms/{id}/checkpoint}:
 * what the coordinator needs to commit it at the proxy ({@link #commit()}), and where the time
 * went.
 *
 * @param vm primary VM id
 * @param epoch group epoch
 * @param sequence checkpoint number N (closes output interval N)
 * @param outputOffsets per connection, output bytes the primary had produced at the pause: the
 *     proxy may release the primary's output up to there
 * @param inputOffsets per connection, input bytes the primary had consumed at the pause
 * @param closedConnections connections that ended since the previous checkpoint
 * @param pages 4 KiB pages carried
 * @param bytes bytes sent
 * @param pauseMicros the primary VM's pause (the capture)
 * @param copyMicros the part of the pause spent copying pages
 * @param sendMicros from the end of the pause until the last byte was handed to the socket
 * @param receiveMicros the secondary's reading and verifying of it, first frame to trailer
 * @param transferMicros from the end of the pause until the acknowledgement (send, the secondary's
 *     receive and apply, the acknowledgement's way back)
 * @param applyMicros the secondary VM's pause to apply it
 * @param totalMicros request to acknowledgement
 * @param primaryDigest SHA-256 of the primary's memory at the pause (only when verification was
 *     asked for)
 * @param secondaryDigest SHA-256 of the secondary's memory right after the apply (idem)
 */
public record CheckpointResult(
    String vm,
    long epoch,
    long sequence,
    List<Offset> outputOffsets,
    List<Offset> inputOffsets,
    List<Integer> closedConnections,
    int pages,
    long bytes,
    double pauseMicros,
    double copyMicros,
    double sendMicros,
    double receiveMicros,
    double transferMicros,
    double applyMicros,
    double totalMicros,
    String primaryDigest,
    String secondaryDigest) {
  public CheckpointResult {
    outputOffsets = outputOffsets == null ? List.of() : List.copyOf(outputOffsets);
    inputOffsets = inputOffsets == null ? List.of() : List.copyOf(inputOffsets);
    closedConnections = closedConnections == null ? List.of() : List.copyOf(closedConnections);
  }

  /** What the proxy may release after it: relayed as the agent answered it. */
  public CheckpointCommit commit() {
    return new CheckpointCommit(sequence, outputOffsets, inputOffsets, closedConnections);
  }
}
