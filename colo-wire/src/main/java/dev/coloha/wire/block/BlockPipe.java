package dev.coloha.wire.block;

import dev.coloha.api.mirror.VolumeRole;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * An ordered, pipelined request stream to one volume on a disk mirror: requests are applied in the
 * order they were sent and answered in that order. Each request is numbered (ascending); a write
 * has no future of its own: {@link #answeredUpTo()} tells how far the mirror has answered, and the
 * first write it refused is kept ({@link #writeRefusal()}). The futures of the other requests
 * complete with their reply, or with the typed {@link dev.coloha.wire.ColoException} that failed
 * it. A write may wait in a send buffer until a later request that needs an answer (read, flush,
 * barrier, commit, failover) or {@link #push()} sends it, so the replies of earlier writes always
 * arrive before the reply of such a request.
 *
 * <p>{@link BlockClient} is the pipe over a real stream; {@link WriteBehind} builds a VM's disk on
 * one.
 */
public interface BlockPipe extends AutoCloseable {
  /** Size of the volume in bytes. */
  long sizeBytes();

  /** Largest single read or write the mirror accepts. */
  int maxRequest();

  /** The role the volume had when the pipe was opened. */
  VolumeRole role();

  /** Whether the pipe has failed or been closed: every request then fails at once. */
  boolean isBroken();

  /**
   * Queues a write of {@code data} (owned by the pipe from now on) at {@code offset}.
   *
   * @return the write's number: it is answered once {@link #answeredUpTo()} reaches it
   */
  long queueWrite(long offset, byte[] data);

  /**
   * Queues a write of the first {@code length} bytes of {@code data} at {@code offset}, which the
   * pipe has used (sent or copied) when this returns: the caller may reuse {@code data}. {@link
   * BlockClient} encodes them into its send buffer or socket without a copy of their own.
   *
   * @return the write's number, as {@link #queueWrite(long, byte[])}
   */
  default long queueWrite(long offset, byte[] data, int length) {
    return queueWrite(offset, length == data.length ? data.clone() : Arrays.copyOf(data, length));
  }

  /** The number of the last request answered: every request up to it has been answered. */
  long answeredUpTo();

  /** The first queued write the mirror refused, or null. */
  dev.coloha.wire.ColoException writeRefusal();

  /**
   * Waits until {@link #answeredUpTo()} reaches {@code n}, the pipe breaks or {@code nanos} pass.
   *
   * @return whether request {@code n} was answered
   */
  boolean awaitAnswered(long n, long nanos) throws InterruptedException;

  CompletableFuture<byte[]> sendRead(long offset, int length);

  CompletableFuture<Long> sendFlush();

  CompletableFuture<Long> sendBarrier(long n);

  CompletableFuture<Long> sendCommit(long n);

  CompletableFuture<Long> sendFailover(long newEpoch);

  /**
   * Checks, when nothing is in flight, that the stream has not ended while idle (a pipe whose
   * reader only reads while a reply is awaited: {@link BlockClient} on the Unix-domain socket);
   * {@link #isBroken()} tells the result. Called before writes and requests go out on a pipe that
   * may have been idle, so that a stream that broke with nothing in flight is reopened rather than
   * written to.
   */
  default void probe() {}

  /** Sends the requests waiting in the send buffer. */
  void push();

  @Override
  void close();
}
