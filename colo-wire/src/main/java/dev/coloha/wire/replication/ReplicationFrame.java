package dev.coloha.wire.replication;

import dev.coloha.api.ErrorKind;
import java.util.Optional;

/**
 * Frames of the checkpoint stream between a primary agent and its secondary (docs/protocol.md),
 * besides the checkpoints themselves (HEADER..TRAILER, see the checkpoint format).
 */
public sealed interface ReplicationFrame {

  /**
   * First frame from the primary: who it is and what it replicates.
   *
   * @param epoch the group's epoch
   * @param vm the secondary VM id this stream is for
   * @param guest guest name
   * @param moduleHash SHA-256 of the guest module
   */
  record Hello(long epoch, String vm, String guest, byte[] moduleHash)
      implements ReplicationFrame {}

  /**
   * The secondary's answer to HELLO.
   *
   * @param lastApplied the last checkpoint it applied in this epoch, or -1
   */
  record Ready(long lastApplied) implements ReplicationFrame {}

  /**
   * Pages copied while the primary runs (live initial sync); later rounds resend pages that were
   * written meanwhile. They become visible only with the final checkpoint.
   *
   * @param round pre-copy round, from 0
   * @param memoryPages memory size in 64 KiB pages when the pages were read
   * @param firstPage first 4 KiB page of this run
   * @param count pages in the run
   * @param data page bytes ({@code count * 4096} from {@code offset})
   * @param offset where the run starts in {@code data}
   */
  record Precopy(int round, int memoryPages, int firstPage, int count, byte[] data, int offset)
      implements ReplicationFrame {}

  /**
   * Ask the secondary for a digest of its memory right after applying checkpoint {@code sequence}.
   */
  record Verify(long sequence) implements ReplicationFrame {}

  /**
   * The secondary applied checkpoint {@code sequence}.
   *
   * @param sequence checkpoint number
   * @param receiveNanos from the first byte of the checkpoint to its verified trailer
   * @param applyNanos the secondary VM's pause to apply it
   * @param digest SHA-256 of the secondary's memory right after the apply, or empty
   */
  record Ack(long sequence, long receiveNanos, long applyNanos, byte[] digest)
      implements ReplicationFrame {}

  /** Keeps the stream alive; the secondary echoes it. */
  record Heartbeat(long epoch, long sequence) implements ReplicationFrame {}

  /** A typed error; the stream ends after it. */
  record Error(String type, String message) implements ReplicationFrame {
    /**
     * The kind its code ({@link ErrorKind}'s slug) names; empty for one this build does not know.
     */
    public Optional<ErrorKind> kind() {
      return ErrorKind.ofSlug(type);
    }
  }

  /** Clean end. */
  record End() implements ReplicationFrame {}
}
