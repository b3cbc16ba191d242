package dev.coloha.agent.replication;

import dev.coloha.wire.replication.ReplicationFrame;
import java.io.IOException;

/** The secondary answered with an ERROR frame (and closes the stream). */
final class SecondaryRefusedException extends IOException {
  private final String type;

  SecondaryRefusedException(ReplicationFrame.Error e) {
    super(e.type() + ": " + e.message());
    this.type = e.type();
  }

  /** What the link is after it: a secondary that lost the chain needs a new initial sync. */
  LinkState linkState() {
    return "checkpoint-mismatch".equals(type) || "stale-epoch".equals(type)
        ? LinkState.RESYNC_REQUIRED
        : LinkState.DEGRADED;
  }
}
