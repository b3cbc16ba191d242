package dev.coloha.agent.replication;

import dev.coloha.wire.checkpoint.Checkpoint;
import dev.coloha.wire.checkpoint.ConnectionState;
import java.util.ArrayList;
import java.util.List;

/**
 * The checkpoint that completed an initial sync, with the primary's per-connection offsets at its
 * pause: where a newly attached secondary's input and output streams start (re-protection).
 *
 * @param sequence checkpoint number
 * @param outputOffsets output produced per connection at the pause
 * @param inputOffsets input consumed per connection at the pause
 */
public record SyncPoint(
    long sequence,
    List<CheckpointResult.ConnectionOffset> outputOffsets,
    List<CheckpointResult.ConnectionOffset> inputOffsets) {

  static SyncPoint of(Checkpoint cp) {
    List<CheckpointResult.ConnectionOffset> out = new ArrayList<>();
    List<CheckpointResult.ConnectionOffset> in = new ArrayList<>();
    for (ConnectionState c : cp.device().connections()) {
      out.add(new CheckpointResult.ConnectionOffset(c.id(), c.outputProduced()));
      in.add(new CheckpointResult.ConnectionOffset(c.id(), c.inputConsumed()));
    }
    return new SyncPoint(cp.header().sequence(), out, in);
  }
}
