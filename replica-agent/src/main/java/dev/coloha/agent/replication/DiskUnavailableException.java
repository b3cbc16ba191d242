package dev.coloha.agent.replication;

import dev.coloha.agent.disk.MirrorIOException;
import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/**
 * A checkpoint failed on the primary's own disk: its barrier did not reach this host's disk mirror.
 * The primary cannot go on safely (its guest sees disk errors); the coordinator fails over.
 */
public final class DiskUnavailableException extends ColoException {
  public DiskUnavailableException(String vm, long sequence, MirrorIOException cause) {
    super(
        "VM " + vm + ": checkpoint " + sequence + " failed on its disk: " + cause.getMessage(),
        cause);
  }

  /**
   * The mirror failure somewhere in {@code e}'s causes, or null. Not a refusal that says nothing
   * about the disk's health: {@code barrier-order} (a number used before) or {@code stale-epoch}
   * (this VM was fenced).
   */
  static MirrorIOException mirrorFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof MirrorIOException m) {
        return m.kind() == ErrorKind.BARRIER_ORDER || m.kind() == ErrorKind.STALE_EPOCH ? null : m;
      }
    }
    return null;
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.DISK_UNAVAILABLE;
  }
}
