package dev.coloha.mirror.volume;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.api.mirror.VolumeStatus;
import dev.coloha.mirror.replication.ReplicaTransport;
import dev.coloha.mirror.replication.ReplicationQueue;
import dev.coloha.wire.LimitExceededException;
import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.block.BlockFrame;
import dev.coloha.wire.block.BlockLimits;
import dev.coloha.wire.block.MirrorTimeoutException;
import dev.coloha.wire.block.MirrorUnavailableException;
import dev.coloha.wire.block.SectorRangeException;
import dev.coloha.wire.block.VolumeNotFoundException;
import dev.coloha.wire.block.VolumeStateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replicated virtual disk on this mirror: its base image and, by role, its {@link
 * PrimaryReplication} (forwarding, resync) or its {@link SecondaryDisk} (hidden writes, overlay,
 * commit, failover). Every operation is fenced by epoch: an older epoch is refused with {@link
 * StaleEpochException}, a newer one is adopted and persisted. One lock orders every operation on
 * the volume.
 *
 * <p>Over 400 lines on purpose: every operation on the volume (I/O, barrier, commit, failover,
 * replica attachment, resync) checks role and epoch and runs under the one lock, and those checks
 * and that lock are this class; the work itself is in PrimaryReplication, SecondaryDisk and
 * BaseImage. Split, the fencing would be spread over classes that each take the lock.
 */
public final class Volume implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Volume.class);
  static final String BASE = "base.img";

  private final Path dir;
  private final VolumeSettings settings;
  private final VolumeObserver observer;
  private final ReplicaTransport.Factory transports;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final MetaFile meta;
  private final BaseImage base;
  private final Flusher flusher;
  private SecondaryDisk secondary;
  private volatile PrimaryReplication primary;
  private long replicaToken;
  private boolean applying; // a thread copies committed writes into the base (under the lock)
  private volatile boolean closed;
  private volatile boolean deleted;
  private volatile VolumeStatus lastStatus;
  private final AtomicLong reads = new AtomicLong();
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong bytesRead = new AtomicLong();
  private final AtomicLong bytesWritten = new AtomicLong();

  /** A replica stream's attachment: its token is superseded by the next stream's. */
  public record ReplicaAttachment(long token, BlockFrame.ReplicaHello hello) {}

  /** SHA-256 of what the volume's VM reads (overlay over base) and of the base image alone. */
  public record Digest(String view, String base) {}

  private Volume(
      Path dir,
      MetaFile meta,
      BaseImage base,
      VolumeSettings settings,
      VolumeObserver observer,
      ReplicaTransport.Factory transports)
      throws IOException {
    this.dir = dir;
    this.meta = meta;
    this.base = base;
    this.settings = settings;
    this.observer = observer;
    this.transports = transports;
    this.flusher = new Flusher(settings.flushPolicy(), settings.flushInterval());
    if (meta.get().role() == VolumeRole.SECONDARY) {
      SecondaryDisk d = SecondaryDisk.open(dir, meta, base, flusher, settings);
      if (meta.get().role() == VolumeRole.SECONDARY) {
        secondary = d;
      }
    }
    if (meta.get().role() == VolumeRole.PRIMARY) {
      primary = new PrimaryReplication(this, transports, meta.get().committedBarrier());
    }
  }

  /** Creates a volume of {@code sizeBytes} zero bytes in {@code dir}. */
  public static Volume create(
      Path dir,
      String id,
      long sizeBytes,
      VolumeRole role,
      long epoch,
      VolumeSettings settings,
      VolumeObserver observer,
      ReplicaTransport.Factory transports)
      throws IOException {
    Files.createDirectories(dir);
    BaseImage base = BaseImage.open(dir.resolve(BASE), sizeBytes);
    try {
      MetaFile meta = MetaFile.create(dir, VolumeMeta.fresh(id, sizeBytes, role, epoch));
      return new Volume(dir, meta, base, settings, observer, transports);
    } catch (IOException | RuntimeException e) {
      base.close();
      throw e;
    }
  }

  /** Opens an existing volume, finishing whatever a crash interrupted. */
  public static Volume open(
      Path dir,
      VolumeSettings settings,
      VolumeObserver observer,
      ReplicaTransport.Factory transports)
      throws IOException {
    MetaFile meta = MetaFile.open(dir);
    BaseImage base = BaseImage.open(dir.resolve(BASE), meta.get().sizeBytes());
    try {
      return new Volume(dir, meta, base, settings, observer, transports);
    } catch (IOException | RuntimeException e) {
      base.close();
      throw e;
    }
  }

  // ---- identity -------------------------------------------------------------------------------

  public String id() {
    return meta.get().id();
  }

  public long sizeBytes() {
    return base.size();
  }

  public VolumeRole role() {
    return meta.get().role();
  }

  public long epoch() {
    return meta.get().epoch();
  }

  public Path dir() {
    return dir;
  }

  VolumeMeta meta() {
    return meta.get();
  }

  VolumeSettings settings() {
    return settings;
  }

  VolumeObserver observer() {
    return observer;
  }

  /**
   * Sectors a secondary committed and has not yet copied into its base (served from the journal
   * meanwhile); 0 on a primary.
   */
  public int unappliedSectors() {
    lock.lock();
    try {
      return secondary == null ? 0 : secondary.unappliedSectors();
    } finally {
      lock.unlock();
    }
  }

  ReentrantLock lock() {
    return lock;
  }

  BaseImage base() {
    return base;
  }

  void persist(VolumeMeta m) throws IOException {
    meta.put(m);
  }

  /** Moves the volume to a newer epoch (no-op for an older or equal one). */
  void adoptEpoch(long epoch) throws IOException {
    meta.update(m -> epoch > m.epoch() ? m.withEpoch(epoch) : m);
  }

  // ---- checks ---------------------------------------------------------------------------------

  private void checkOpen() {
    if (deleted) {
      throw new VolumeNotFoundException(id());
    }
    if (closed) {
      throw new MirrorUnavailableException("the mirror is shutting down volume " + id());
    }
  }

  private void checkEpoch(long offered) throws IOException {
    long current = meta.get().epoch();
    if (offered < current) {
      throw new StaleEpochException(current, offered);
    }
    if (offered > current) {
      log.info("volume {}: epoch {} -> {}", id(), current, offered);
      adoptEpoch(offered);
    }
  }

  /**
   * Refuses an epoch older than the volume's without adopting a newer one: an operation checks
   * everything else before it adopts the epoch ({@link #checkEpoch}), so that a refused one leaves
   * the volume in its epoch (a refused request in a newer epoch must not fence the current stream).
   */
  private void requireEpoch(long offered) {
    long current = meta.get().epoch();
    if (offered < current) {
      throw new StaleEpochException(current, offered);
    }
  }

  /** The VM's I/O is possible: a synced secondary, or a primary that is not fenced. */
  private void requireIo(String operation) {
    if (secondary != null) {
      secondary.requireSynced(operation);
    } else {
      requirePrimary(operation).requireWritable();
    }
  }

  private void checkRequest(long offset, int length) {
    if (length > settings.maxRequest()) {
      throw new LimitExceededException("request bytes", length, settings.maxRequest());
    }
    if (!BlockLimits.inRange(offset, length, base.size())) {
      throw new SectorRangeException(offset, length, base.size());
    }
  }

  private SecondaryDisk requireSecondary(String operation) {
    if (secondary == null) {
      throw new VolumeStateException(
          id(), "PRIMARY", "only a secondary can " + operation + " (this volume is a primary)");
    }
    return secondary;
  }

  private PrimaryReplication requirePrimary(String operation) {
    PrimaryReplication p = primary;
    if (p == null) {
      throw new VolumeStateException(
          id(), "SECONDARY", "only a primary can " + operation + " (this volume is a secondary)");
    }
    return p;
  }

  // ---- the VM's I/O stream --------------------------------------------------------------------

  /**
   * Attaches an I/O stream in {@code epoch}: what the VM's disk is. A primary volume attached in a
   * newer epoch is taken over by a new VM (the coordinator restarted the group from this volume
   * after both replicas died, docs/coordinator.md): its barriers are numbered anew by that VM, and
   * a secondary it replicated to needs a resync.
   */
  public BlockFrame.Hello attach(long epoch) throws IOException {
    lock.lock();
    try {
      checkOpen();
      long before = meta.get().epoch();
      checkEpoch(epoch);
      PrimaryReplication p = primary;
      if (epoch > before && p != null) {
        p.takenOver(epoch);
      }
      return new BlockFrame.Hello(
          meta.get().epoch(), base.size(), meta.get().role(), settings.maxRequest());
    } finally {
      lock.unlock();
    }
  }

  /** A heartbeat on an I/O stream: is the volume still here, and the epoch still current? */
  public void checkAlive(long epoch) throws IOException {
    lock.lock();
    try {
      checkOpen();
      checkEpoch(epoch);
    } finally {
      lock.unlock();
    }
  }

  public byte[] read(long epoch, long offset, int length) throws IOException {
    checkRequest(offset, length);
    lock.lock();
    try {
      checkOpen();
      requireEpoch(epoch);
      requireIo("read");
      checkEpoch(epoch);
      byte[] dst = new byte[length];
      if (secondary != null) {
        secondary.read(offset, dst);
      } else {
        requirePrimary("read").requireWritable();
        base.read(offset, dst, 0, length);
      }
      reads.incrementAndGet();
      bytesRead.addAndGet(length);
      observer.read(id(), length);
      return dst;
    } finally {
      lock.unlock();
    }
  }

  /** Writes locally (the overlay on a secondary), forwards on a primary; returns when local. */
  public void write(long epoch, long offset, byte[] data) throws IOException {
    checkRequest(offset, data.length);
    long t0 = System.nanoTime();
    lock.lock();
    try {
      checkOpen();
      requireEpoch(epoch);
      requireIo("write");
      if (secondary != null) {
        secondary.checkWrite(data.length); // an overlay without room refuses before the epoch
      }
      checkEpoch(epoch);
      if (secondary != null) {
        secondary.write(offset, data);
      } else {
        PrimaryReplication p = requirePrimary("write");
        p.requireWritable();
        base.write(offset, data, 0, data.length);
        p.written(offset, data);
      }
      writes.incrementAndGet();
      bytesWritten.addAndGet(data.length);
    } finally {
      lock.unlock();
    }
    observer.written(id(), data.length, System.nanoTime() - t0);
  }

  public void flush(long epoch) throws IOException {
    lock.lock();
    try {
      checkOpen();
      requireEpoch(epoch);
      if (secondary == null) {
        requirePrimary("flush").requireWritable();
      }
      checkEpoch(epoch);
      if (secondary != null) {
        secondary.flush();
      } else {
        requirePrimary("flush").requireWritable();
        flusher.flush(base.channel());
      }
    } finally {
      lock.unlock();
    }
  }

  /** Marks barrier {@code n} (primary, at a checkpoint pause). */
  public long barrier(long epoch, long n) throws IOException {
    lock.lock();
    try {
      checkOpen();
      requireEpoch(epoch);
      PrimaryReplication p = requirePrimary("mark a barrier");
      p.requireWritable();
      p.checkBarrier(n); // out of order: refused before the volume adopts the epoch
      checkEpoch(epoch);
      return p.barrier(n);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Commits barrier {@code n} (secondary, while its VM is paused): waits up to the commit timeout
   * for the barrier to arrive from the primary.
   */
  public long commit(long epoch, long n) throws IOException {
    long t0 = System.nanoTime();
    long deadline = t0 + settings.secondary().commitTimeout().toNanos();
    lock.lock();
    try {
      while (true) {
        checkOpen();
        requireEpoch(epoch);
        SecondaryDisk s = requireSecondary("commit a barrier");
        s.checkCommit(n);
        checkEpoch(epoch);
        long r = s.tryCommit(n);
        if (r != SecondaryDisk.WAIT) {
          startApplying(s);
          changed.signalAll();
          observer.committed(id(), r, s.lastCommitWrites(), System.nanoTime() - t0);
          return r;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new MirrorTimeoutException(
              "barrier "
                  + n
                  + " has not arrived from the primary within "
                  + settings.secondary().commitTimeout());
        }
        changed.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for barrier " + n, e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Starts copying the committed writes of a secondary into its base, after the commit returned
   * (reads see them in the journal meanwhile). Called under the lock.
   */
  private void startApplying(SecondaryDisk s) {
    if (!applying && s.hasUnapplied()) {
      applying = true;
      Thread.ofVirtual().name("mirror-apply-" + id()).start(this::applyCommitted);
    }
  }

  /**
   * Copies committed writes into the base in bounded steps, each under the lock, letting the VM's
   * I/O and the replica stream in between; ends when none are left, or the volume closed or was
   * promoted (a failover copies the rest itself).
   */
  private void applyCommitted() {
    while (true) {
      lock.lock();
      try {
        SecondaryDisk s = secondary;
        if (closed || s == null || !s.applyStep()) {
          applying = false;
          return;
        }
      } catch (IOException | RuntimeException e) {
        applying = false; // the next commit tries again; opening the volume copies them anyway
        log.error(
            "volume {}: copying committed writes into the base failed: {}", id(), e.toString());
        return;
      } finally {
        lock.unlock();
      }
      if (lock.hasQueuedThreads()) {
        LockSupport.parkNanos(50_000); // a non-fair lock: give the waiting request its turn
      }
    }
  }

  /**
   * Promotes a secondary to primary in {@code newEpoch}: the primary's writes after the last
   * committed barrier are discarded, the overlay becomes part of the image. Repeating it on the
   * promoted volume is a no-op. {@code newEpoch} must not be older than the volume's epoch; the
   * epoch of the stream asking ({@code epoch}) may be (it moves to the new one).
   */
  public void failover(long epoch, long newEpoch) throws IOException {
    lock.lock();
    try {
      checkOpen();
      // the new epoch is the fencing token here, not the stream's: the agent's device (opened in
      // the old epoch) and the coordinator's REST call may both promote, in either order
      long current = meta.get().epoch();
      if (newEpoch < current) {
        throw new StaleEpochException(current, newEpoch);
      }
      if (secondary == null) {
        adoptEpoch(newEpoch);
        return;
      }
      secondary.failover(newEpoch);
      secondary = null;
      replicaToken++;
      primary = new PrimaryReplication(this, transports, meta.get().committedBarrier());
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    observer.failedOver(id(), newEpoch);
  }

  // ---- the primary's replica stream (secondary) -----------------------------------------------

  /** Attaches a replica stream in {@code epoch}; an earlier one is superseded. */
  public ReplicaAttachment attachReplica(long epoch) throws IOException {
    lock.lock();
    try {
      checkOpen();
      requireEpoch(epoch);
      SecondaryDisk s = requireSecondary("take a replica stream");
      checkEpoch(epoch);
      return new ReplicaAttachment(++replicaToken, s.hello(meta.get().epoch()));
    } finally {
      lock.unlock();
    }
  }

  private SecondaryDisk checkReplica(long token, long epoch) throws IOException {
    checkOpen();
    requireEpoch(epoch);
    SecondaryDisk s = requireSecondary("take a replica stream");
    if (token != replicaToken) {
      throw new VolumeStateException(
          id(), "SUPERSEDED", "a newer replica stream replaced this one");
    }
    checkEpoch(epoch);
    return s;
  }

  /** Takes one frame of the replica stream, waiting while the journal is full. */
  public void receive(long token, long epoch, BlockFrame.Replica frame) throws IOException {
    int bytes =
        switch (frame) {
          case BlockFrame.ReplicaWrite w -> w.data().length;
          case BlockFrame.ResyncData d -> d.data().length;
          default -> 0;
        };
    lock.lock();
    try {
      SecondaryDisk s = checkReplica(token, epoch);
      long deadline = System.nanoTime() + settings.secondary().receiveStallTimeout().toNanos();
      while (bytes > 0 && !s.hasRoom()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new LimitExceededException(
              "pending bytes", s.pendingBytes() + bytes, settings.secondary().maxPendingBytes());
        }
        changed.awaitNanos(left);
        s = checkReplica(token, epoch);
      }
      s.receive(frame);
      if (frame instanceof BlockFrame.ReplicaBarrier) {
        changed.signalAll();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for journal room", e);
    } finally {
      lock.unlock();
    }
    observer.received(id(), bytes);
  }

  /** Flushes what the stream delivered as the policy says; the acknowledgement to send. */
  public BlockFrame.Ack acknowledge(long token, long epoch) throws IOException {
    lock.lock();
    try {
      return checkReplica(token, epoch).acknowledge();
    } finally {
      lock.unlock();
    }
  }

  /**
   * A heartbeat on the replica stream: is it still the current one? The stream is idle: the
   * primary's writes held for the next commit are written, so that they can be acknowledged.
   */
  public void checkReplicaAlive(long token, long epoch) throws IOException {
    lock.lock();
    try {
      checkReplica(token, epoch).replicaIdle();
    } finally {
      lock.unlock();
    }
  }

  // ---- re-protection --------------------------------------------------------------------------

  /** Starts a resync of this primary's image to {@code secondaryVolume} on another mirror. */
  public void resync(String secondaryUrl, String secondaryVolume) throws IOException {
    lock.lock();
    try {
      checkOpen();
      requirePrimary("resync a secondary").startResync(secondaryUrl, secondaryVolume);
    } finally {
      lock.unlock();
    }
  }

  /** Waits until the secondary acknowledged everything forwarded so far. */
  public boolean awaitReplicated(long timeout, TimeUnit unit) throws InterruptedException {
    PrimaryReplication p = primary;
    return p == null || p.awaitDrained(timeout, unit);
  }

  // ---- status ---------------------------------------------------------------------------------

  /** Current figures (the last ones if the volume is busy for long, e.g. in a commit). */
  public VolumeStatus status() {
    try {
      if (!lock.tryLock(100, TimeUnit.MILLISECONDS)) {
        VolumeStatus last = lastStatus;
        if (last != null) {
          return last;
        }
        lock.lock();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return lastStatus;
    }
    try {
      VolumeStatus s = secondary != null ? secondaryStatus(secondary) : primaryStatus(primary);
      lastStatus = s;
      return s;
    } finally {
      lock.unlock();
    }
  }

  private VolumeStatus secondaryStatus(SecondaryDisk s) {
    VolumeMeta m = meta.get();
    String state = s.synced() ? "IN_SYNC" : s.resyncing() ? "RESYNC_TARGET" : "UNSYNCED";
    return new VolumeStatus(
        m.id(),
        m.sizeBytes(),
        m.role(),
        state,
        m.epoch(),
        s.highestBarrier(),
        m.committedBarrier(),
        s.pendingWrites(),
        s.pendingBytes(),
        s.overlayBytes(),
        s.overlaySectors(),
        reads.get(),
        writes.get(),
        bytesRead.get(),
        bytesWritten.get(),
        null,
        null);
  }

  private VolumeStatus primaryStatus(PrimaryReplication p) {
    VolumeMeta m = meta.get();
    ReplicationQueue.Snapshot lag = p.lag();
    VolumeStatus.Replication r = null;
    if (m.secondaryUrl() != null) {
      r =
          new VolumeStatus.Replication(
              m.secondaryUrl(),
              m.secondaryVolume(),
              p.connected(),
              lag == null ? 0 : lag.frames(),
              lag == null ? 0 : lag.bytes(),
              lag == null ? 0 : lag.oldestAgeNanos() / 1e9,
              lag == null ? 0 : lag.lastSeq(),
              lag == null ? 0 : lag.ackedSeq(),
              p.reason());
    }
    Resync resync = p.resync();
    return new VolumeStatus(
        m.id(),
        m.sizeBytes(),
        m.role(),
        p.state().name(),
        m.epoch(),
        p.lastBarrier(),
        p.secondaryCommitted(),
        lag == null ? 0 : lag.frames(),
        lag == null ? 0 : lag.bytes(),
        0,
        0,
        reads.get(),
        writes.get(),
        bytesRead.get(),
        bytesWritten.get(),
        r,
        resync == null ? null : resync.progress());
  }

  /**
   * SHA-256 of the VM's view and of the base image (reads the whole volume twice); on a secondary
   * the committed writes are copied into the base first.
   */
  public Digest digest() throws IOException {
    lock.lock();
    try {
      checkOpen();
      if (secondary != null && secondary.synced()) {
        secondary.applyAll();
      }
      MessageDigest view = MessageDigest.getInstance("SHA-256");
      MessageDigest raw = MessageDigest.getInstance("SHA-256");
      int step = 1 << 20;
      byte[] buf = new byte[step];
      byte[] rawBuf = new byte[step];
      for (long off = 0; off < base.size(); off += step) {
        int n = (int) Math.min(step, base.size() - off);
        byte[] b = n == step ? buf : new byte[n];
        byte[] r = n == step ? rawBuf : new byte[n];
        base.read(off, r, 0, n);
        raw.update(r, 0, n);
        if (secondary != null && secondary.synced()) {
          secondary.read(off, b);
          view.update(b, 0, n);
        } else {
          view.update(r, 0, n);
        }
      }
      HexFormat hex = HexFormat.of();
      return new Digest(hex.formatHex(view.digest()), hex.formatHex(raw.digest()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } finally {
      lock.unlock();
    }
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Closes the volume for good before its files are deleted: its streams get not-found. */
  void closeDeleted() throws IOException {
    deleted = true;
    close();
  }

  @Override
  public void close() throws IOException {
    PrimaryReplication p = primary;
    if (p != null) {
      p.close(); // before the lock: wakes a writer waiting for queue room
    }
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      changed.signalAll();
      if (secondary != null) {
        secondary.close();
      }
      base.close();
    } finally {
      lock.unlock();
    }
  }
}
