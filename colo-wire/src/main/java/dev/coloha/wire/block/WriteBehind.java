package dev.coloha.wire.block;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.LimitExceededException;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A VM's disk on a mirror with write-behind, like a kernel's page cache (docs/disk-mirror.md): a
 * write is checked, queued and returns; the VM never waits for the mirror except at a read, a
 * flush, a barrier, a commit or a failover, and when the queue is full.
 *
 * <ul>
 *   <li><b>Held back, then sent in order</b>: a queued write stays in this device for at most
 *       {@link Limits#holdTime()} (and {@link Limits#holdBytes()}), then goes to the {@link
 *       BlockPipe}; a held write that a later write to the same sectors wholly replaces is dropped,
 *       as a page cache does (the kv guest rewrites its log's tail sector at every batch), and a
 *       write that overlaps or continues the last held write is combined with it (up to the
 *       mirror's largest request). A read, flush, barrier or failover sends every held write first,
 *       so nothing is coalesced across them: a barrier covers every earlier write. A commit
 *       (secondary) drops them instead once it succeeded: it discards the overlay they would go to.
 *   <li><b>A secondary's overlay writes are held until the commit</b> ({@link
 *       Limits#secondaryHoldBytes()}): no hold time, and neither a flush nor a read sends them (a
 *       read lays them over the mirror's answer); the commit drops them, a failover sends them
 *       first; past the bound the oldest are sent, as many as bring the hold back under it by
 *       {@link Limits#holdBytes()} (never the whole hold at once), and when the queue is full all
 *       of them. After its failover the disk holds as a primary.
 *   <li><b>Acknowledged by sequence</b>: the pipe numbers the writes it sends and reports how far
 *       the mirror has answered ({@link BlockPipe#answeredUpTo()}); no future and no map entry per
 *       write.
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
 *
 * <p>Over 400 lines on purpose: holding, dropping and combining writes, the sequence
 * acknowledgements and the first failure are one queue's state, and every operation above reads and
 * changes all of it; split, they would share it through accessors ({@code WriteBehindModelTest}
 * checks them together against a model).
 */
public final class WriteBehind implements AutoCloseable {

  /**
   * Bounds of the write-behind queue.
   *
   * @param maxWrites unacknowledged writes (held or sent) before a write waits
   * @param maxBytes unacknowledged bytes before a write waits
   * @param timeout longest wait for room, or for the reply of a read, flush, barrier, commit or
   *     failover
   * @param holdTime longest time a write is held back in the device before it is sent (so that a
   *     later write to the same sectors can replace it)
   * @param holdBytes bytes held back before they are sent
   * @param secondaryHoldBytes a secondary's overlay writes held back until the commit that discards
   *     them (no hold time); 0: a secondary holds its writes as a primary does
   */
  public record Limits(
      int maxWrites,
      long maxBytes,
      Duration timeout,
      Duration holdTime,
      int holdBytes,
      long secondaryHoldBytes) {
    public Limits {
      if (maxWrites < 1 || maxBytes < BlockLimits.SECTOR_SIZE) {
        throw new IllegalArgumentException(
            "the write-behind queue needs room for at least one write: "
                + maxWrites
                + " writes, "
                + maxBytes
                + " bytes");
      }
      if (holdTime.isNegative() || holdBytes < 0 || secondaryHoldBytes < 0) {
        throw new IllegalArgumentException("hold time and bytes must not be negative");
      }
      if (secondaryHoldBytes > maxBytes) {
        // held writes are unacknowledged writes: the queue's bound is the hold's too
        throw new IllegalArgumentException(
            "a secondary's hold ("
                + secondaryHoldBytes
                + " bytes) must not be above the queue's bound ("
                + maxBytes
                + " bytes)");
      }
    }

    /** No secondary hold: a secondary holds its overlay writes as a primary does. */
    public Limits(
        int maxWrites, long maxBytes, Duration timeout, Duration holdTime, int holdBytes) {
      this(maxWrites, maxBytes, timeout, holdTime, holdBytes, 0);
    }

    /**
     * Default hold-back: {@link #DEFAULT_HOLD_TIME}, {@link #DEFAULT_HOLD_BYTES}, no secondary
     * hold.
     */
    public Limits(int maxWrites, long maxBytes, Duration timeout) {
      this(maxWrites, maxBytes, timeout, DEFAULT_HOLD_TIME, DEFAULT_HOLD_BYTES);
    }

    public static final Duration DEFAULT_HOLD_TIME = Duration.ofMillis(100);
    public static final int DEFAULT_HOLD_BYTES = 64 << 10;
    public static final long DEFAULT_SECONDARY_HOLD_BYTES = 32L << 20;

    /** The agent's defaults: 4096 writes, 64 MiB, 30 s, the secondary hold of 32 MiB. */
    public static Limits defaults() {
      return new Limits(
          4096,
          64L << 20,
          Duration.ofSeconds(30),
          DEFAULT_HOLD_TIME,
          DEFAULT_HOLD_BYTES,
          DEFAULT_SECONDARY_HOLD_BYTES);
    }

    public Limits withTimeout(Duration t) {
      return new Limits(maxWrites, maxBytes, t, holdTime, holdBytes, secondaryHoldBytes);
    }

    public Limits withSecondaryHoldBytes(long bytes) {
      return new Limits(maxWrites, maxBytes, timeout, holdTime, holdBytes, bytes);
    }
  }

  /**
   * A write held back in the device: {@code length} bytes at {@code offset} in {@code data} (which
   * may be larger, room for later writes combined into it); null data once a later write replaced
   * it.
   */
  private static final class Held {
    long offset;
    byte[] data;
    int length;

    Held(long offset, byte[] data) {
      this.offset = offset;
      this.data = data;
      this.length = data.length;
    }

    long end() {
      return offset + length;
    }
  }

  private final Supplier<BlockPipe> connector;
  private final Limits limits;
  private final long sizeBytes;
  private final Object queue = new Object();
  private BlockPipe pipe;
  // held back, in order (guarded by this)
  private final List<Held> held = new ArrayList<>();
  private volatile int heldWrites;
  private long heldBytes;
  private long heldSinceNanos;
  // sent and not yet known to be answered, oldest first: a ring of (sequence, length)
  private final long[] sentSeq;
  private final int[] sentLength;
  private int sentHead;
  private volatile int sentCount;
  private long sentBytes;
  private long dropped; // writes replaced before they were sent (for tests and metrics)
  private long combined; // writes combined into the held write before them (for tests and metrics)
  private final Thread sender;
  // a secondary's overlay writes are held until the commit drops them (or the hold is full)
  private volatile boolean holdsOverlay;
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
    this.holdsOverlay = holdsOverlay(pipe);
    this.sentSeq = new long[limits.maxWrites()];
    this.sentLength = new int[limits.maxWrites()];
    this.sender = Thread.ofVirtual().name("write-behind").start(sendOverdue(this, limits));
  }

  /** The held writes go within the hold time even when the VM makes no further request. */
  private static Runnable sendOverdue(WriteBehind disk, Limits limits) {
    WeakReference<WriteBehind> self = new WeakReference<>(disk);
    long every = Math.max(1, limits.holdTime().toMillis());
    return () -> {
      while (true) {
        try {
          Thread.sleep(every);
        } catch (InterruptedException e) {
          return;
        }
        WriteBehind d = self.get();
        if (d == null || d.closed) {
          return;
        }
        d.sendOverdue();
        d = null;
      }
    };
  }

  public long sizeBytes() {
    return sizeBytes;
  }

  /** The role of the volume when the pipe was last opened. */
  public synchronized VolumeRole role() {
    return pipe.role();
  }

  /**
   * Whether this disk holds its VM's overlay writes until the commit that discards them (a
   * secondary's volume with {@link Limits#secondaryHoldBytes()} set, until its failover).
   */
  public boolean holdsOverlay() {
    return holdsOverlay;
  }

  private boolean holdsOverlay(BlockPipe p) {
    return limits.secondaryHoldBytes() > 0 && p.role() == VolumeRole.SECONDARY;
  }

  /** The error that failed this disk, or null. */
  public ColoException failure() {
    return failure;
  }

  /**
   * Unacknowledged writes, held back or sent (for metrics and tests; as of the disk's last
   * operation or the last send of held writes).
   */
  public int pendingWrites() {
    return heldWrites + sentCount;
  }

  /** Writes dropped because a later write replaced them before they were sent. */
  public synchronized long droppedWrites() {
    return dropped;
  }

  /**
   * Writes combined into the last held write because they overlapped or continued it (sent as one
   * write with it).
   */
  public synchronized long combinedWrites() {
    return combined;
  }

  /**
   * Queues a write and returns; its failure is reported by a later operation. The bytes are copied
   * before it returns (into the held write, once): {@code src} may be the VM's memory, which the
   * guest changes right after.
   */
  public synchronized void write(long offset, byte[] src, int srcOffset, int length) {
    checkRange(offset, length);
    live();
    coalesce(offset, length);
    awaitRoom(length);
    if (heldWrites == 0) {
      heldSinceNanos = System.nanoTime();
    }
    if (!combine(offset, src, srcOffset, length)) {
      held.add(new Held(offset, Arrays.copyOfRange(src, srcOffset, srcOffset + length)));
      heldWrites++;
      heldBytes += length;
    }
    if (holdsOverlay) {
      if (heldBytes >= limits.secondaryHoldBytes()) {
        // past the bound: only the oldest go, as many as bring the hold back under it by a
        // primary's hold, not all of it at once (a burst the size of the hold would stall the
        // secondary, and its commit waits for every overlay write it sent)
        probed();
        sendOldest(limits.secondaryHoldBytes() - Math.max(1, limits.holdBytes()));
        pipe.push();
      }
    } else if (heldBytes >= limits.holdBytes() || limits.holdTime().isZero()) {
      probed();
      sendHeld();
      pipe.push();
    }
  }

  /**
   * Reads, seeing every earlier write of this disk. A secondary's held overlay writes stay held:
   * the mirror answers with every write sent before, and the held ones (all later) are laid over
   * its answer, in order.
   */
  public synchronized void read(long offset, byte[] dst, int dstOffset, int length) {
    checkRange(offset, length);
    BlockPipe p = holdsOverlay ? probed() : send();
    byte[] data = await(p.sendRead(offset, length), "read");
    checkFailure(); // an earlier write failed: the data may miss it
    if (holdsOverlay) {
      layHeldOver(offset, data);
    }
    System.arraycopy(data, 0, dst, dstOffset, length);
  }

  /**
   * Waits until every earlier write is durable per the mirror's flush policy. A secondary's flush
   * (while it holds its overlay writes) sends and waits for nothing: its overlay is discarded at
   * the next commit whatever is durable, and a secondary whose agent or mirror fails is dropped; it
   * reports a failure already known, and the commit, a read or the failover reports any other.
   */
  public synchronized void flush() {
    if (holdsOverlay) {
      reclaim();
      checkFailure();
      return;
    }
    await(send().sendFlush(), "flush");
    checkFailure();
  }

  /** Marks barrier {@code n} after every earlier write (primary). */
  public synchronized long barrier(long n) {
    long b = await(send().sendBarrier(n), "barrier " + n);
    checkFailure();
    return b;
  }

  /**
   * Commits barrier {@code n} (secondary), after every earlier overlay write. The commit discards
   * the overlay (the VM's own writes since the last commit), so the writes still held here are not
   * sent first: they are dropped once the commit succeeded. A commit that fails changes nothing on
   * the mirror, and the held writes then stay to be sent as before (no write of this disk came
   * between them and the commit).
   */
  public synchronized long commit(long n) {
    long b = await(probed().sendCommit(n), "commit " + n);
    checkFailure();
    for (Held h : held) {
      if (h.data != null) {
        dropped++;
      }
    }
    held.clear();
    heldWrites = 0;
    heldBytes = 0;
    return b;
  }

  /**
   * Promotes the secondary's volume in {@code newEpoch}, after every earlier overlay write: the
   * held ones are sent first, in order, on the same stream, so the mirror has them all before its
   * failover makes the overlay the disk; a write the mirror refuses (or a stream lost with them)
   * fails the failover. From a successful failover on, the disk holds its writes as a primary.
   */
  public synchronized long failover(long newEpoch) {
    long e = await(send().sendFailover(newEpoch), "failover to epoch " + newEpoch);
    checkFailure();
    holdsOverlay = false;
    return e;
  }

  /**
   * Sends the held and queued writes to the mirror without waiting for them (a failure found on the
   * way is reported by the next operation); a secondary's held overlay writes stay held.
   */
  public synchronized void push() {
    if (failure != null || closed) {
      return;
    }
    try {
      if (heldWrites > 0 && !holdsOverlay) {
        probed();
        sendHeld();
      }
      if (!pipe.isBroken()) {
        pipe.push();
      }
    } catch (ColoException e) {
      // recorded in failure
    }
  }

  /** Sends the held writes and ends the stream (writes not yet acknowledged may be lost). */
  @Override
  public synchronized void close() {
    closed = true;
    sender.interrupt();
    if (failure == null && !pipe.isBroken()) {
      sendHeld();
    }
    pipe.push();
    pipe.close();
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private synchronized void sendOverdue() {
    if (closed || failure != null || heldWrites == 0 || holdsOverlay) {
      return;
    }
    if (System.nanoTime() - heldSinceNanos < limits.holdTime().toNanos()) {
      return;
    }
    try {
      push();
      reclaim();
    } catch (RuntimeException e) {
      // a ColoException is in failure: the VM's next operation reports it
    }
  }

  /** Drops every held write that [offset, offset + length) wholly replaces. */
  private void coalesce(long offset, int length) {
    long end = offset + length;
    for (int i = held.size() - 1; i >= 0; i--) {
      Held h = held.get(i);
      if (h.data != null && h.offset >= offset && h.end() <= end) {
        heldWrites--;
        heldBytes -= h.length;
        h.data = null;
        dropped++;
      }
    }
    if (held.size() > 2 * heldWrites + 16) {
      // a secondary holds for seconds: the replaced entries must not pile up in the list
      held.removeIf(h -> h.data == null);
    }
  }

  /** Lays the held writes over {@code data}, read at {@code offset}, in order (later ones win). */
  private void layHeldOver(long offset, byte[] data) {
    long end = offset + data.length;
    for (Held h : held) {
      if (h.data == null) {
        continue;
      }
      long from = Math.max(offset, h.offset);
      long to = Math.min(end, h.end());
      if (from < to) {
        System.arraycopy(
            h.data, (int) (from - h.offset), data, (int) (from - offset), (int) (to - from));
      }
    }
  }

  /**
   * Combines the write into the last held write when it overlaps or continues it (a log's tail
   * written batch after batch: each write rewrites the last partial sector and appends), as long as
   * the result stays within the mirror's largest request. Only the last held write: no held write
   * comes after it, so the order of overlapping writes is kept (the later bytes win where they
   * overlap). The combined write is sent as one.
   */
  private boolean combine(long offset, byte[] src, int srcOffset, int length) {
    Held last = null;
    for (int i = held.size() - 1; i >= 0 && last == null; i--) {
      if (held.get(i).data != null) {
        last = held.get(i);
      }
    }
    long end = offset + length;
    if (last == null || offset > last.end() || end < last.offset) {
      return false;
    }
    long from = Math.min(offset, last.offset);
    long to = Math.max(end, last.end());
    if (to - from > pipe.maxRequest()) {
      return false;
    }
    int size = (int) (to - from);
    if (from < last.offset || size > last.data.length) {
      // room to grow: a log's tail keeps being continued (at most the mirror's largest request)
      int capacity =
          from < last.offset
              ? size
              : (int) Math.min(pipe.maxRequest(), Math.max(size, 2L * last.data.length));
      byte[] grown = new byte[capacity];
      System.arraycopy(last.data, 0, grown, (int) (last.offset - from), last.length);
      last.data = grown;
    }
    System.arraycopy(src, srcOffset, last.data, (int) (offset - from), length);
    heldBytes += size - last.length;
    last.offset = from;
    last.length = size;
    combined++;
    return true;
  }

  /** Sends the held writes on the pipe, in order (the pipe is live). */
  private void sendHeld() {
    for (Held h : held) {
      if (h.data != null) {
        queue(h);
      }
    }
    held.clear();
    heldWrites = 0;
    heldBytes = 0;
  }

  /**
   * Sends the oldest held writes, in order, until at most {@code keepBytes} stay held (at least one
   * is sent). The ones kept are all later than the ones sent, so a read still lays them over the
   * mirror's answer.
   */
  private void sendOldest(long keepBytes) {
    int i = 0;
    boolean sent = false;
    while (i < held.size() && (!sent || heldBytes > keepBytes)) {
      Held h = held.get(i++);
      if (h.data != null) {
        queue(h);
        heldWrites--;
        heldBytes -= h.length;
        sent = true;
      }
    }
    held.subList(0, i).clear();
  }

  private void queue(Held h) {
    // its used part straight from the buffer (room for combined writes): no copy to send it
    long seq = pipe.queueWrite(h.offset, h.data, h.length);
    int at = (sentHead + sentCount) % sentSeq.length;
    sentSeq[at] = seq;
    sentLength[at] = h.length;
    sentCount++;
    sentBytes += h.length;
  }

  /** The pipe with every held write sent on it, for a request that needs an answer. */
  private BlockPipe send() {
    BlockPipe p = probed();
    sendHeld();
    return p;
  }

  /**
   * The pipe, checked for a stream that ended while idle before writes go out on it ({@link
   * BlockPipe#probe()}): one that did with nothing in flight is reopened, not written to.
   */
  private BlockPipe probed() {
    pipe.probe();
    return live();
  }

  /** Forgets the sent writes the mirror answered; a refusal fails the disk. */
  private void reclaim() {
    long upTo = pipe.answeredUpTo();
    while (sentCount > 0 && sentSeq[sentHead] <= upTo) {
      sentBytes -= sentLength[sentHead];
      sentHead = (sentHead + 1) % sentSeq.length;
      sentCount--;
    }
    ColoException refused = pipe.writeRefusal();
    if (refused != null) {
      fail(refused);
    }
  }

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

  private void fail(ColoException cause) {
    synchronized (queue) {
      if (failure == null) {
        failure = cause;
      }
    }
  }

  private boolean hasRoom(int length) {
    return heldWrites + sentCount < limits.maxWrites()
        && heldBytes + sentBytes + length <= limits.maxBytes();
  }

  private void awaitRoom(int length) {
    reclaim();
    checkFailure();
    if (hasRoom(length)) {
      return;
    }
    if (heldWrites > 0) {
      sendHeld(); // the held writes must go for room to come
    }
    pipe.push();
    long deadline = System.nanoTime() + limits.timeout().toNanos();
    while (sentCount > 0 && !hasRoom(length)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        fail(
            new MirrorTimeoutException(
                "no room in the write-behind queue within " + limits.timeout()));
        break;
      }
      try {
        if (!pipe.awaitAnswered(sentSeq[sentHead], left) && pipe.isBroken()) {
          live(); // fails the disk: writes were in flight
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail(new MirrorUnavailableException("interrupted while waiting for the mirror", e));
        break;
      }
      reclaim();
      checkFailure();
    }
    checkFailure();
  }

  private BlockPipe live() {
    checkFailure();
    if (!pipe.isBroken()) {
      return pipe;
    }
    if (closed) {
      throw new MirrorUnavailableException("the disk is closed");
    }
    reclaim();
    checkFailure();
    if (sentCount > 0) {
      // sent writes the mirror never answered may be lost: do not let an operation pass them
      ColoException f =
          new MirrorUnavailableException(
              "the stream to the mirror broke with " + sentCount + " writes in flight");
      fail(f);
      throw f;
    }
    // nothing in flight: a new stream, the held writes go on it
    pipe = connector.get();
    sentHead = 0;
    holdsOverlay &= holdsOverlay(pipe); // a failover the mirror did may have made it primary
    return pipe;
  }

  private <T> T await(CompletableFuture<T> reply, String what) {
    try {
      T value = reply.get(limits.timeout().toNanos(), TimeUnit.NANOSECONDS);
      reclaim(); // every write before the request is answered: a refusal among them fails it
      return value;
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
      reclaim();
      if (c instanceof MirrorUnavailableException && sentCount > 0) {
        fail(c); // the stream broke: a write in flight may be lost with it
      }
      throw c;
    }
  }
}
