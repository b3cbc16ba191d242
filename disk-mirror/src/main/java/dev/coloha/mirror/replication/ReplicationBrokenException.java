package dev.coloha.mirror.replication;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/**
 * The primary and its secondary can no longer continue where they left off (the secondary lost or
 * never had frames the primary no longer holds): the secondary needs a resync.
 */
public final class ReplicationBrokenException extends ColoException {
  public ReplicationBrokenException(String message) {
    super(message);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.REPLICATION_BROKEN;
  }
}
