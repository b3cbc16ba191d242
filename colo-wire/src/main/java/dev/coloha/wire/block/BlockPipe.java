package dev.coloha.wire.block;

import dev.coloha.api.mirror.VolumeRole;
import java.util.concurrent.CompletableFuture;

/**
 * An ordered, pipelined request stream to one volume on a disk mirror: requests are applied in the
 * order they were sent and each future completes with its reply, or with the typed {@link
 * dev.coloha.wire.ColoException} that failed it. A write may wait in a send buffer until a later
 * request that needs an answer (read, flush, barrier, commit, failover) or {@link #push()} sends
 * it, so the replies of earlier writes always arrive before the reply of such a request.
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

  /** Queues a write of {@code data} (owned by the pipe from now on) at {@code offset}. */
  CompletableFuture<Void> sendWrite(long offset, byte[] data);

  CompletableFuture<byte[]> sendRead(long offset, int length);

  CompletableFuture<Long> sendFlush();

  CompletableFuture<Long> sendBarrier(long n);

  CompletableFuture<Long> sendCommit(long n);

  CompletableFuture<Long> sendFailover(long newEpoch);

  /** Sends the requests waiting in the send buffer. */
  void push();

  @Override
  void close();
}
