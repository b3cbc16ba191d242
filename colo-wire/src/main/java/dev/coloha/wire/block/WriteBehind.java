package dev.coloha.wire.block;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.LimitExceededException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A VM's disk on a mirror with write-behind, like a kernel's page cache (docs/disk-mirror.md): a
 * write is checked, queued on the {@link BlockPipe} and returns; the VM never waits for the mirror
 * except at a read, a flush, a barrier, a commit or a failover, and when the queue is full.
 *
 * <ul>
 *   <li><b>Read-your-writes</b>: the pipe applies requests in order, so a read sent after a write
 *       sees it.
 *   <li><b>Flush</b> returns when every earlier write is on the mirror and the mirror flushed as
 *       its policy says; <b>barrier</b> when every earlier write is on the primary's mirror and
 *       queued for the secondary with the barrier after it.
 *   <li><b>Honest errors</b>: a write that fails after it returned is never silent. The first such
 *       error fails the next flush, barrier, commit or read, and every operation after it: the disk
 *       has failed (a primary whose disk failed is a lost primary, fault matrix). A failure the
 *       device can see before queueing (sector range, request size) fails the write itself.
 *   <li><b>Backpressure</b>: at most {@link Limits#maxWrites()} writes and {@link
 *       Limits#maxBytes()} bytes are unacknowledged; a write beyond waits for room (at most the
 *       request timeout, then the disk fails with {@code timeout}). Nothing is dropped.
 * </ul>
 *
 * <p>A pipe that breaks with nothing unacknowledged (an idle stream, a mirror restart between
 * flushes) is reopened on the next operation; one that breaks with writes in flight fails the disk,
 * since those writes may be lost.
 *
 * <p>One caller at a time (the VM's thread; commit and failover while it is paused); the pipe's
 * reply thread only completes writes.
 */
public final class WriteBehind implements AutoCloseable {

  /**
   * Bounds of the write-behind queue.
   *
   * @param maxWrites unacknowledged writes before a write waits
   * @param maxBytes unacknowledged bytes before a write waits
   * @param timeout longest wait for room, or for the reply of a read, flush, barrier, commit or
   *     failover
   */
  public record Limits(int maxWrites, long maxBytes, Duration timeout) {
    public Limits {
      if (maxWrites < 1 || maxBytes < BlockLimits.SECTOR_SIZE) {
        throw new IllegalArgumentException(
            "the write-behind queue needs room for at least one write: "
                + maxWrites
                + " writes, "
                + maxBytes
                + " bytes");
      }
    }

    public static Limits defaults() {
      return new Limits(4096, 16L << 20, Duration.ofSeconds(30));
    }

    public Limits withTimeout(Duration t) {
      return new Limits(maxWrites, maxBytes, t);
    }
  }

  private final Supplier<BlockPipe> connector;
  private final Limits limits;
  private final long sizeBytes;
  private final Object queue = new Object();
  private BlockPipe pipe;
  private int pendingWrites; // guarded by queue
  private long pendingBytes; // guarded by queue
  private volatile ColoException failure;
  private volatile boolean closed;

  /**
   * @param connector opens a pipe to the volume (called now and after a pipe broke while idle)
   */
  public WriteBehind(Supplier<BlockPipe> connector, Limits limits) {
    this.connector = connector;
    this.limits = limits;
    this.pipe = connector.get();
    this.sizeBytes = pipe.sizeBytes();
  }

  public long sizeBytes() {
    return sizeBytes;
  }

  /** The role of the volume when the pipe was last opened. */
  public synchronized VolumeRole role() {
    return pipe.role();
  }

  /** The error that failed this disk, or null. */
  public ColoException failure() {
    return failure;
  }

  /** Unacknowledged writes now (for metrics and tests). */
  public int pendingWrites() {
    synchronized (queue) {
      return pendingWrites;
    }
  }

  /** Queues a write and returns; its failure is reported by a later operation. */
  public synchronized void write(long offset, byte[] src, int srcOffset, int length) {
    checkRange(offset, length);
    BlockPipe p = live();
    awaitRoom(p, length);
    byte[] data = Arrays.copyOfRange(src, srcOffset, srcOffset + length);
    p.sendWrite(offset, data).whenComplete((ok, error) -> written(length, error));
  }

  /** Reads, seeing every earlier write of this disk. */
  public synchronized void read(long offset, byte[] dst, int dstOffset, int length) {
    checkRange(offset, length);
    byte[] data = await(live().sendRead(offset, length), "read");
    checkFailure(); // an earlier write failed: the data may miss it
    System.arraycopy(data, 0, dst, dstOffset, length);
  }

  /** Waits until every earlier write is durable per the mirror's flush policy. */
  public synchronized void flush() {
    await(live().sendFlush(), "flush");
    checkFailure();
  }

  /** Marks barrier {@code n} after every earlier write (primary). */
  public synchronized long barrier(long n) {
    long b = await(live().sendBarrier(n), "barrier " + n);
    checkFailure();
    return b;
  }

  /** Commits barrier {@code n} (secondary), after every earlier overlay write. */
  public synchronized long commit(long n) {
    long b = await(live().sendCommit(n), "commit " + n);
    checkFailure();
    return b;
  }

  /** Promotes the secondary's volume in {@code newEpoch}, after every earlier overlay write. */
  public synchronized long failover(long newEpoch) {
    long e = await(live().sendFailover(newEpoch), "failover to epoch " + newEpoch);
    checkFailure();
    return e;
  }

  /** Sends the queued writes to the mirror without waiting for them. */
  public synchronized void push() {
    if (!pipe.isBroken()) {
      pipe.push();
    }
  }

  /** Sends the queued writes and ends the stream (writes not yet acknowledged may be lost). */
  @Override
  public synchronized void close() {
    closed = true;
    pipe.push();
    pipe.close();
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private void checkRange(long offset, long length) {
    checkFailure();
    if (offset < 0
        || length < 0
        || offset % BlockLimits.SECTOR_SIZE != 0
        || length % BlockLimits.SECTOR_SIZE != 0
        || offset > sizeBytes - length) {
      throw new SectorRangeException(offset, length, sizeBytes);
    }
    if (length > pipe.maxRequest()) {
      throw new LimitExceededException("disk request bytes", length, pipe.maxRequest());
    }
  }

  private void checkFailure() {
    ColoException f = failure;
    if (f != null) {
      throw f;
    }
  }

  private void written(int length, Throwable error) {
    if (error != null) {
      Throwable cause = error.getCause() != null ? error.getCause() : error;
      fail(
          cause instanceof ColoException c
              ? c
              : new MirrorUnavailableException("disk write failed: " + cause, cause));
    }
    synchronized (queue) {
      pendingWrites--;
      pendingBytes -= length;
      queue.notifyAll();
    }
  }

  private void fail(ColoException cause) {
    synchronized (queue) {
      if (failure == null) {
        failure = cause;
      }
      queue.notifyAll();
    }
  }

  private void awaitRoom(BlockPipe p, int length) {
    synchronized (queue) {
      if (pendingWrites < limits.maxWrites() && pendingBytes + length <= limits.maxBytes()) {
        pendingWrites++;
        pendingBytes += length;
        return;
      }
    }
    p.push(); // the writes waiting in the send buffer must go for room to come
    long deadline = System.nanoTime() + limits.timeout().toNanos();
    synchronized (queue) {
      while (failure == null
          && pendingWrites > 0
          && (pendingWrites >= limits.maxWrites() || pendingBytes + length > limits.maxBytes())) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          fail(
              new MirrorTimeoutException(
                  "no room in the write-behind queue within " + limits.timeout()));
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(queue, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          fail(new MirrorUnavailableException("interrupted while waiting for the mirror", e));
        }
      }
      checkFailure();
      pendingWrites++;
      pendingBytes += length;
    }
  }

  private BlockPipe live() {
    checkFailure();
    if (!pipe.isBroken()) {
      return pipe;
    }
    if (closed) {
      throw new MirrorUnavailableException("the disk is closed");
    }
    synchronized (queue) {
      if (pendingWrites > 0) {
        // written() will record their failure; do not let an operation pass them
        ColoException f =
            new MirrorUnavailableException(
                "the stream to the mirror broke with " + pendingWrites + " writes in flight");
        fail(f);
        throw f;
      }
    }
    pipe = connector.get();
    return pipe;
  }

  private <T> T await(CompletableFuture<T> reply, String what) {
    try {
      return reply.get(limits.timeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      ColoException f =
          new MirrorTimeoutException(
              "no reply from the mirror within " + limits.timeout() + " to " + what);
      fail(f); // later replies can no longer be matched to this disk's state
      throw f;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      ColoException f = new MirrorUnavailableException("interrupted while waiting for " + what, e);
      fail(f);
      throw f;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      ColoException c =
          cause instanceof ColoException ce
              ? ce
              : new MirrorUnavailableException(what + " failed: " + cause, cause);
      if (c instanceof MirrorUnavailableException) {
        // the stream broke: a write in flight may be lost with it
        synchronized (queue) {
          if (pendingWrites > 0) {
            fail(c);
          }
        }
      }
      throw c;
    }
  }
}
