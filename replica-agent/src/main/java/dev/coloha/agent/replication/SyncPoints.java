package dev.coloha.agent.replication;

import dev.coloha.api.Offset;
import dev.coloha.api.agent.SyncPoint;
import dev.coloha.wire.checkpoint.Checkpoint;
import dev.coloha.wire.checkpoint.ConnectionState;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link SyncPoint} of the checkpoint that completed an initial sync: the primary's
 * per-connection offsets at its pause, where a newly attached secondary's input and output streams
 * start (re-protection).
 */
final class SyncPoints {
  private SyncPoints() {}

  static SyncPoint of(Checkpoint cp) {
    List<Offset> out = new ArrayList<>();
    List<Offset> in = new ArrayList<>();
    for (ConnectionState c : cp.device().connections()) {
      out.add(new Offset(c.id(), c.outputProduced()));
      in.add(new Offset(c.id(), c.inputConsumed()));
    }
    return new SyncPoint(cp.header().sequence(), out, in);
  }
}
