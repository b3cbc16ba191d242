package dev.coloha.wire.block;

import dev.coloha.api.ErrorKind;
import dev.coloha.api.mirror.VolumeRole;
import java.util.Map;
import java.util.Optional;

/**
 * Frames of the disk mirror's two binary streams (docs/disk-mirror.md):
 *
 * <ul>
 *   <li>the <b>I/O stream</b> between an agent and its local mirror ({@code POST
 *       /v1/volumes/{id}/io?epoch=E}): requests carry an id, every request gets exactly one reply
 *       with that id ({@link Data}, {@link Done} or {@link Fail}); requests may be pipelined;
 *   <li>the <b>replica stream</b> from a primary's mirror to its secondary's mirror ({@code POST
 *       /v1/volumes/{id}/replica?epoch=E}): every frame carries a sequence number, the secondary
 *       acknowledges the highest one it holds durably.
 * </ul>
 */
public sealed interface BlockFrame {

  // ---- I/O stream: requests (agent to mirror) ----------------------------------------------

  /**
   * First frame of an I/O stream on the mirror's Unix-domain socket (what the HTTP request line
   * says on the HTTP stream): attach to {@code volume} in {@code epoch}. Answered by {@link Hello}
   * or, refused, by {@link Error}.
   */
  record Attach(String volume, long epoch) implements BlockFrame {}

  /** A request of the I/O stream; its reply carries the same id. */
  sealed interface Request extends BlockFrame {
    long id();
  }

  /** Read {@code length} bytes at {@code offset} (both multiples of 512). */
  record Read(long id, long offset, int length) implements Request {}

  /** Write {@code data} at {@code offset} (both multiples of 512). */
  record Write(long id, long offset, byte[] data) implements Request {}

  /** Make completed writes durable as the mirror's flush policy says. */
  record Flush(long id) implements Request {}

  /** Mark disk barrier {@code barrier} (primary, at a checkpoint pause). */
  record Barrier(long id, long barrier) implements Request {}

  /** Commit barrier {@code barrier} (secondary, while its VM is paused for the apply). */
  record Commit(long id, long barrier) implements Request {}

  /** Promote the secondary's volume to primary in {@code epoch}. */
  record Failover(long id, long epoch) implements Request {}

  // ---- I/O stream: replies (mirror to agent) -----------------------------------------------

  /** First frame of an I/O stream: what the agent is attached to. */
  record Hello(long epoch, long sizeBytes, VolumeRole role, int maxRequest) implements BlockFrame {}

  /** The bytes a {@link Read} asked for. */
  record Data(long id, byte[] data) implements BlockFrame {}

  /**
   * A request succeeded. {@code value}: the barrier for barrier and commit, the epoch for failover,
   * 0 otherwise.
   */
  record Done(long id, long value) implements BlockFrame {}

  /**
   * A request failed with a typed error; nothing of it was applied. {@code type} is an {@link
   * ErrorKind}'s slug.
   */
  record Fail(long id, String type, String message, Map<String, String> details)
      implements BlockFrame {
    /** The kind its code names; empty for a code this build does not know. */
    public Optional<ErrorKind> kind() {
      return ErrorKind.ofSlug(type);
    }
  }

  // ---- replica stream: primary mirror to secondary mirror ----------------------------------

  /** A frame of the replica stream (request body); sequence numbers rise by one per frame. */
  sealed interface Replica extends BlockFrame {
    long seq();
  }

  /** A primary write, made after barrier {@code barrier} was marked (-1: none yet). */
  record ReplicaWrite(long seq, long barrier, long offset, byte[] data) implements Replica {}

  /** The primary marked barrier {@code barrier}: the writes before it belong to checkpoint N. */
  record ReplicaBarrier(long seq, long barrier) implements Replica {}

  /** A resync starts: the secondary resets its image to {@code sizeBytes} of zeros. */
  record ResyncBegin(long seq, long sizeBytes) implements Replica {}

  /** A resync copy of the primary's image (written straight to the secondary's base). */
  record ResyncData(long seq, long offset, byte[] data) implements Replica {}

  /** The resync is complete: the base equals the primary's image; forwarding follows. */
  record ResyncEnd(long seq) implements Replica {}

  // ---- replica stream: secondary mirror to primary mirror ----------------------------------

  /**
   * First frame of the replica stream's response: whether the secondary is in sync and the last
   * sequence number it holds, so that the primary resends from there.
   */
  record ReplicaHello(long epoch, boolean synced, long lastSeq, long committedBarrier)
      implements BlockFrame {}

  /** Every frame up to {@code seq} is held durably (per flush policy) by the secondary. */
  record Ack(long seq, long committedBarrier) implements BlockFrame {}

  // ---- both streams ------------------------------------------------------------------------

  /** Keeps an idle stream alive; answered by a heartbeat (I/O) or an ack (replica). */
  record Heartbeat(long epoch) implements BlockFrame {}

  /** A typed error that ends the stream, with the details a peer needs to recover. */
  record Error(String type, String message, Map<String, String> details) implements BlockFrame {
    /**
     * The kind its code ({@link ErrorKind}'s slug) names; empty for one this build does not know.
     */
    public Optional<ErrorKind> kind() {
      return ErrorKind.ofSlug(type);
    }
  }

  /** Clean end of stream. */
  record End() implements BlockFrame {}
}
