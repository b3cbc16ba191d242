package dev.coloha.mirror.volume;

import dev.coloha.mirror.replication.Forwarder;
import dev.coloha.mirror.replication.ReplicaTransport;
import dev.coloha.mirror.replication.ReplicationBrokenException;
import dev.coloha.mirror.replication.ReplicationQueue;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.block.BarrierOrderException;
import dev.coloha.wire.block.BlockFrame;
import dev.coloha.wire.block.VolumeConflictException;
import dev.coloha.wire.block.VolumeStateException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary side of a volume: forwards every write and barrier, in order and numbered, to the
 * secondary's mirror; runs resyncs (re-protection); and decides what a lost or refused replica
 * stream means (reconnect, DEGRADED, FENCED). Methods marked "under the lock" run with the volume's
 * lock held.
 *
 * <p>Over 400 lines on purpose: forwarding, resync and the handling of a lost or refused replica
 * stream all order the same numbered writes and barriers under the volume's lock.
 */
final class PrimaryReplication implements Forwarder.Listener {
  private static final Logger log = LoggerFactory.getLogger(PrimaryReplication.class);

  /** How often a write waiting for queue room checks that the secondary is still connected. */
  private static final Duration CONNECTED_CHECK = Duration.ofMillis(50);

  private final Volume volume;
  private final ReplicaTransport.Factory transports;
  private volatile ReplicationState state;
  private volatile String reason;
  private volatile ReplicationQueue queue;
  private volatile Forwarder forwarder;
  private volatile Resync resync;
  private volatile DirtyMap dirty;
  private volatile boolean forwarding;
  private long lastBarrier;
  private volatile long secondaryCommitted = -1;
  private volatile long beginSeq = -1;
  private volatile long endSeq = -1;
  private volatile boolean beginAcked;

  PrimaryReplication(Volume volume, ReplicaTransport.Factory transports, long lastBarrier) {
    this.volume = volume;
    this.transports = transports;
    this.lastBarrier = lastBarrier;
    if (volume.meta().secondaryUrl() != null) {
      state = ReplicationState.DEGRADED;
      reason = "the mirror restarted; the secondary needs a resync";
    } else {
      state = ReplicationState.UNPROTECTED;
    }
  }

  ReplicationState state() {
    return state;
  }

  String reason() {
    return reason;
  }

  long lastBarrier() {
    return lastBarrier;
  }

  long secondaryCommitted() {
    return secondaryCommitted;
  }

  Resync resync() {
    return resync;
  }

  boolean connected() {
    Forwarder f = forwarder;
    return f != null && f.connected();
  }

  ReplicationQueue.Snapshot lag() {
    ReplicationQueue q = queue;
    return q == null ? null : q.snapshot();
  }

  // ---- the VM's writes and barriers (under the lock) ------------------------------------------

  void requireWritable() {
    if (state == ReplicationState.FENCED) {
      throw new VolumeStateException(volume.id(), "FENCED", reason);
    }
  }

  void written(long offset, byte[] data) {
    if (dirty != null) {
      dirty.mark(offset, data.length);
    }
    if (forwarding) {
      long tag = lastBarrier;
      forward(seq -> new BlockFrame.ReplicaWrite(seq, tag, offset, data), data.length);
    }
  }

  /** Refuses barrier {@code n} unless it comes after the last one (changes nothing). */
  void checkBarrier(long n) {
    if (n <= lastBarrier) {
      throw new BarrierOrderException(
          n, lastBarrier, "barrier " + n + " is not after the last one, " + lastBarrier);
    }
  }

  long barrier(long n) {
    checkBarrier(n);
    lastBarrier = n;
    if (forwarding) {
      forward(seq -> new BlockFrame.ReplicaBarrier(seq, n), 0);
    }
    return n;
  }

  /**
   * Queues a frame, waiting for room while the secondary's mirror takes frames (only slower); the
   * replication breaks if none comes within the backpressure timeout. With the stream of an in-sync
   * secondary down (that mirror died, or the link to it) a full queue cannot drain: the replica is
   * dropped at once (DEGRADED) and the primary's write goes on locally. Never does a dead replica
   * stall or fail the primary's writes and barriers: a stall under the volume's lock made the
   * agent's disk requests time out, which its VM saw as a disk error.
   */
  long forward(LongFunction<BlockFrame.Replica> frame, int bytes) {
    ReplicationQueue q = queue;
    if (q == null) {
      return -1;
    }
    Duration timeout = volume.settings().replication().backpressureTimeout();
    long left = timeout.toNanos();
    try {
      while (true) {
        long wait = streamLost() ? 0 : Math.min(left, CONNECTED_CHECK.toNanos());
        long seq = q.append(frame, bytes, wait);
        if (seq >= 0 || q.isClosed()) {
          return seq;
        }
        left -= wait;
        if (streamLost()) {
          degrade(
              "the secondary's mirror is not connected and the replication queue is full: the"
                  + " replica is dropped, the primary's writes stay local");
          return -1;
        }
        if (left <= 0) {
          degrade("the secondary did not take writes for " + timeout + " (backpressure timeout)");
          return -1;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted while forwarding", e));
    }
  }

  /**
   * Whether the secondary was in sync and its stream is down now (the forwarder reconnects, but a
   * full queue cannot wait for that). During a resync the stream may not be open yet: not lost.
   */
  private boolean streamLost() {
    return state == ReplicationState.REPLICATING && !connected();
  }

  // ---- resync (re-protection) -----------------------------------------------------------------

  /** Starts copying the image to a new secondary (under the lock). */
  synchronized void startResync(String url, String secondaryVolume) throws IOException {
    requireWritable();
    VolumeMeta m = volume.meta();
    boolean sameTarget =
        url.equals(m.secondaryUrl()) && secondaryVolume.equals(m.secondaryVolume());
    if (sameTarget
        && (state == ReplicationState.RESYNCING
            || (state == ReplicationState.REPLICATING && connected()))) {
      return; // a repeated request (a retry): that secondary is being or is protected already
    }
    // REPLICATING to the same target over a stream that is down is no reason to skip: the
    // coordinator asks for a resync after it deleted and created that volume again (a
    // re-protection on the host whose mirror died and came back); the forwarder, still
    // reconnecting, would report REPLICATING for a fresh, empty secondary until it found out
    Resync running = resync;
    if (running != null && !running.finished()) {
      throw new VolumeConflictException(
          "volume " + volume.id() + " is resyncing to " + m.secondaryUrl() + " already");
    }
    stopForwarding();
    volume.persist(volume.meta().withSecondary(url, secondaryVolume));
    var r = volume.settings().replication();
    ReplicationQueue q = new ReplicationQueue(r.maxPendingBytes(), r.maxPendingWrites());
    queue = q;
    dirty = new DirtyMap(volume.sizeBytes(), volume.settings().resync().chunk());
    forwarding = false;
    beginAcked = false;
    endSeq = -1;
    secondaryCommitted = -1;
    state = ReplicationState.RESYNCING;
    reason = null;
    long size = volume.sizeBytes();
    beginSeq = forward(seq -> new BlockFrame.ResyncBegin(seq, size), 0);
    forwarder =
        new Forwarder(
            volume.id(),
            transports.to(url, secondaryVolume),
            q,
            volume::epoch,
            this,
            r.heartbeatInterval(),
            r.reconnectBackoff(),
            r.maxReconnectBackoff(),
            volume.settings().maxFrame() + 64);
    resync = new Resync(volume, this, volume.settings().resync());
    forwarder.start();
    resync.start();
    log.info("volume {}: resync to {} volume {} started", volume.id(), url, secondaryVolume);
  }

  DirtyMap dirty() {
    return dirty;
  }

  /** The final round is done (under the lock): from now on every write is forwarded. */
  void resyncCopied() {
    long seq = forward(BlockFrame.ResyncEnd::new, 0);
    dirty = null;
    if (seq > 0) {
      endSeq = seq;
      forwarding = true;
    }
  }

  // ---- forwarder events -----------------------------------------------------------------------

  @Override
  public long resumeAfter(BlockFrame.ReplicaHello hello) {
    ReplicationQueue q = queue;
    if (state == ReplicationState.RESYNCING && !beginAcked) {
      return beginSeq - 1; // the secondary is reset by the first frame: send everything
    }
    if (state == ReplicationState.RESYNCING) {
      throw new ReplicationBrokenException("the replica stream broke during the resync");
    }
    if (state != ReplicationState.REPLICATING || q == null) {
      throw new ReplicationBrokenException("not replicating (" + state + ")");
    }
    if (!hello.synced()) {
      throw new ReplicationBrokenException(
          "the secondary is not in sync any more (it was reset or recreated)");
    }
    if (hello.lastSeq() < q.ackedSeq()) {
      throw new ReplicationBrokenException(
          "the secondary holds frames up to "
              + hello.lastSeq()
              + " but acknowledged "
              + q.ackedSeq());
    }
    if (hello.lastSeq() > q.lastSeq()) {
      throw new ReplicationBrokenException(
          "the secondary holds frame " + hello.lastSeq() + ", newer than any sent");
    }
    return hello.lastSeq();
  }

  @Override
  public void acked(long seq, long committedBarrier) {
    secondaryCommitted = committedBarrier;
    if (!beginAcked && beginSeq > 0 && seq >= beginSeq) {
      beginAcked = true;
    }
    if (state == ReplicationState.RESYNCING && endSeq > 0 && seq >= endSeq) {
      synchronized (this) {
        if (state == ReplicationState.RESYNCING) {
          state = ReplicationState.REPLICATING;
          Resync r = resync;
          if (r != null) {
            r.acknowledged();
          }
          log.info("volume {}: the secondary is in sync; replicating", volume.id());
        }
      }
    }
  }

  @Override
  public boolean disconnected(Exception cause) {
    if (state == ReplicationState.RESYNCING && beginAcked) {
      degrade("the replica stream broke during the resync: " + cause.getMessage());
      return false;
    }
    return state == ReplicationState.RESYNCING || state == ReplicationState.REPLICATING;
  }

  @Override
  public void refused(ColoException cause) {
    if (cause instanceof StaleEpochException stale) {
      fence(
          "the secondary is in epoch "
              + stale.currentEpoch()
              + " (it took over): "
              + cause.getMessage(),
          stale.currentEpoch());
    } else if (cause instanceof VolumeStateException vs && "PRIMARY".equals(vs.state())) {
      fence("the secondary's volume is a primary now (it took over)", -1);
    } else {
      degrade("the secondary refused the replica stream: " + cause.getMessage());
    }
  }

  // ---- state changes --------------------------------------------------------------------------

  /** The secondary cannot follow any more: writes stay local until a resync. */
  void degrade(String why) {
    ReplicationQueue q = queue;
    if (q != null) {
      q.close(); // wakes writers waiting for room first, so that the lock below comes free
    }
    synchronized (this) {
      if (state == ReplicationState.FENCED || state == ReplicationState.DEGRADED) {
        return;
      }
      state = ReplicationState.DEGRADED;
      reason = why;
      stopForwarding();
      log.warn("volume {}: replication DEGRADED: {}", volume.id(), why);
    }
    volume.observer().degraded(volume.id());
  }

  /**
   * A new VM took this volume over in {@code epoch} (a group restarted from its surviving volume):
   * the barriers are the new VM's, numbered from its first checkpoint (the old VM's numbers died
   * with it; a mirror restart forgets them anyway), and a secondary this volume replicated to
   * follows the old VM's checkpoints, so it needs a resync. A fenced volume stays fenced.
   */
  void takenOver(long epoch) {
    if (state == ReplicationState.FENCED) {
      return;
    }
    if (state == ReplicationState.REPLICATING || state == ReplicationState.RESYNCING) {
      degrade("a new VM took the volume over in epoch " + epoch + "; the secondary needs a resync");
    }
    lastBarrier = -1;
  }

  /** Another volume took over in a newer epoch: refuse all I/O from now on. */
  void fence(String why, long newerEpoch) {
    ReplicationQueue q = queue;
    if (q != null) {
      q.close();
    }
    if (newerEpoch > volume.epoch()) {
      try {
        volume.adoptEpoch(newerEpoch); // first: from now on the old epoch is refused everywhere
      } catch (IOException e) {
        log.warn(
            "volume {}: could not persist epoch {}: {}", volume.id(), newerEpoch, e.getMessage());
      }
    }
    synchronized (this) {
      state = ReplicationState.FENCED;
      reason = why;
      stopForwarding();
      log.warn("volume {}: FENCED: {}", volume.id(), why);
    }
  }

  private synchronized void stopForwarding() {
    forwarding = false;
    dirty = null;
    Forwarder f = forwarder;
    forwarder = null;
    if (f != null) {
      f.stop();
    }
    ReplicationQueue q = queue;
    if (q != null) {
      q.close();
    }
    Resync r = resync;
    if (r != null) {
      r.stop();
    }
  }

  /** Waits until the secondary acknowledged everything forwarded so far (tests, benchmarks). */
  boolean awaitDrained(long timeout, TimeUnit unit) throws InterruptedException {
    ReplicationQueue q = queue;
    return q == null || q.awaitDrained(timeout, unit);
  }

  void close() {
    stopForwarding();
  }
}
