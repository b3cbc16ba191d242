package dev.coloha.agent.replication;

import dev.coloha.api.ErrorKind;
import dev.coloha.api.agent.LinkState;
import dev.coloha.wire.replication.ReplicationFrame;
import java.io.IOException;

/** The secondary answered with an ERROR frame (and closes the stream). */
final class SecondaryRefusedException extends IOException {
  private final ErrorKind kind;

  SecondaryRefusedException(ReplicationFrame.Error e) {
    super(e.type() + ": " + e.message());
    this.kind = e.kind().orElse(null);
  }

  /** What the link is after it: a secondary that lost the chain needs a new initial sync. */
  LinkState linkState() {
    return kind == ErrorKind.CHECKPOINT_MISMATCH || kind == ErrorKind.STALE_EPOCH
        ? LinkState.RESYNC_REQUIRED
        : LinkState.DEGRADED;
  }
}
