package dev.coloha.mirror.volume;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.LimitExceededException;
import dev.coloha.wire.block.BarrierOrderException;
import dev.coloha.wire.block.BlockFrame;
import dev.coloha.wire.block.BlockLimits;
import dev.coloha.wire.block.SectorRangeException;
import dev.coloha.wire.block.VolumeStateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The secondary side of a volume (QEMU block replication's secondary): the base image as of the
 * last committed barrier, the primary's newer writes hidden in a journal, and the secondary VM's
 * own writes in an overlay that reads see first.
 *
 * <p>Commit of barrier N: journal flushed per policy, the new state persisted (barrier N committed
 * up to marker N's journal position, a fresh overlay). The committed writes are served from the
 * journal ({@link HiddenJournal#readCommitted}) and copied into the base in the background ({@link
 * #applyStep}, called by the volume); the state also records how far the base has them all ({@code
 * appliedPos}), and opening the volume copies the rest again. Failover: a failover intent
 * persisted, the overlay merged into the base and fsynced, then the volume persisted as a primary
 * (the hidden writes after the last committed barrier are dropped). A crash anywhere is finished on
 * the next open from the intent: both steps are idempotent.
 *
 * <p>Under a flush policy other than {@code FSYNC} a commit fsyncs nothing while the secondary VM
 * waits for it: journal and base are fsynced in the background like any write, the state is
 * replaced atomically against a process crash ({@link MetaFile#putBehind}). A volume opened after
 * the host itself went down since such a commit needs a resync.
 *
 * <p>Not thread-safe: the volume's lock guards every call.
 *
 * <p>Over 400 lines on purpose: commit, failover and crash recovery are the three writers of the
 * same persisted state (intent, committed and applied positions) and must agree on its order; the
 * journal, the overlay and the base are classes of their own.
 */
final class SecondaryDisk implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SecondaryDisk.class);

  /** {@link #tryCommit} could not commit yet: the barrier has not arrived. */
  static final long WAIT = Long.MIN_VALUE;

  private final Path dir;
  private final MetaFile meta;
  private final BaseImage base;
  private final Flusher flusher;
  private final VolumeSettings settings;
  private HiddenJournal journal;
  private Overlay overlay;
  private long lastSeq;
  private boolean resyncing;
  private int lastCommitWrites;
  private long appliedPos;
  private boolean baseDirty;

  /** Committed sectors copied into the base per {@link #applyStep} (one hold of the lock). */
  static final int APPLY_STEP_SECTORS = 256;

  private SecondaryDisk(
      Path dir,
      MetaFile meta,
      BaseImage base,
      Flusher flusher,
      VolumeSettings settings,
      HiddenJournal journal,
      Overlay overlay) {
    this.dir = dir;
    this.meta = meta;
    this.base = base;
    this.flusher = flusher;
    this.settings = settings;
    this.journal = journal;
    this.overlay = overlay;
    this.lastSeq = journal.lastSeq();
    this.appliedPos = meta.get().appliedPos();
  }

  /**
   * Opens the secondary state of a volume and finishes a commit or failover that a crash
   * interrupted. After a finished failover the volume is a primary: the caller checks the role.
   */
  static SecondaryDisk open(
      Path dir, MetaFile meta, BaseImage base, Flusher flusher, VolumeSettings settings)
      throws IOException {
    VolumeMeta m = meta.get();
    int max = maxPayload(settings);
    HiddenJournal j =
        HiddenJournal.open(journalPath(dir, m.journalGen()), m.appliedPos(), m.seqFloor(), max);
    Overlay o;
    try {
      o = Overlay.open(overlayPath(dir, m.overlayFile()), max, m.overlayEra());
    } catch (IOException | RuntimeException e) {
      j.close();
      throw e;
    }
    SecondaryDisk d = new SecondaryDisk(dir, meta, base, flusher, settings, j, o);
    d.recover();
    d.deleteStrays();
    d.journal.holdUpTo(settings.secondary().maxHeldBytes());
    return d;
  }

  static int maxPayload(VolumeSettings settings) {
    return settings.maxFrame() + 64;
  }

  static Path journalPath(Path dir, int gen) {
    return dir.resolve("journal-" + gen + ".log");
  }

  static Path overlayPath(Path dir, int gen) {
    return dir.resolve("overlay-" + gen + ".log");
  }

  private void recover() throws IOException {
    VolumeMeta m = meta.get();
    String boot = meta.unsyncedBoot();
    if (boot != null && !boot.equals(settings.hostBoot())) {
      // a commit left base, journal and meta to the page cache in another boot of this host: the
      // host went down since, and the files may hold part of it (the VM it served is gone too)
      log.error(
          "volume {}: the host restarted after a commit that was not fsynced (barrier {}); a"
              + " resync is needed",
          m.id(),
          m.intent() == VolumeMeta.Intent.COMMIT ? m.intentBarrier() : m.committedBarrier());
      meta.putSynced(
          m.withJournal(false, -1, 0, 0, m.journalGen(), m.overlayGen()).withoutIntent());
      return;
    }
    if (m.committedPos() > journal.end()) {
      log.error(
          "volume {}: the journal lost records of committed barrier {}; a resync is needed",
          m.id(),
          m.committedBarrier());
      meta.put(m.withJournal(false, -1, 0, 0, m.journalGen(), m.overlayGen()).withoutIntent());
      return;
    }
    // the committed writes the base may not have yet (a crash while they were being copied)
    journal.commitTo(m.committedPos());
    switch (m.intent()) {
      case COMMIT -> {
        if (m.intentPos() > journal.end()) {
          log.error(
              "volume {}: the journal lost records of committed barrier {}; a resync is needed",
              m.id(),
              m.intentBarrier());
          meta.put(m.withJournal(false, -1, 0, 0, m.journalGen(), m.overlayGen()).withoutIntent());
          return;
        }
        log.warn(
            "volume {}: finishing the commit of barrier {} interrupted by a crash",
            m.id(),
            m.intentBarrier());
        finishCommit(m.intentBarrier(), m.intentPos());
      }
      case FAILOVER -> {
        log.warn(
            "volume {}: finishing the failover to epoch {} interrupted by a crash",
            m.id(),
            m.intentEpoch());
        finishFailover();
      }
      case NONE -> {
        // nothing under way
      }
    }
    if (meta.get().role() == VolumeRole.SECONDARY) {
      applyAll();
    }
  }

  /** Removes journal and overlay files of other generations (left by a crash). */
  private void deleteStrays() throws IOException {
    VolumeMeta m = meta.get();
    Path keepJournal = journalPath(dir, m.journalGen());
    Path keepOverlay = overlayPath(dir, m.overlayFile());
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.toList()) {
        String name = p.getFileName().toString();
        boolean log = name.startsWith("journal-") || name.startsWith("overlay-");
        if (log && !p.equals(keepJournal) && !p.equals(keepOverlay)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  // ---- status ---------------------------------------------------------------------------------

  boolean synced() {
    return meta.get().synced();
  }

  boolean resyncing() {
    return resyncing;
  }

  long committedBarrier() {
    return meta.get().committedBarrier();
  }

  long lastSeq() {
    return lastSeq;
  }

  int pendingWrites() {
    return journal.pendingWrites();
  }

  long pendingBytes() {
    return journal.pendingBytes();
  }

  long highestBarrier() {
    return journal.highestBarrier();
  }

  long overlayBytes() {
    return overlay.bytes();
  }

  int overlaySectors() {
    return overlay.sectors();
  }

  long tornBytes() {
    return journal.tornBytes();
  }

  // ---- the secondary VM's I/O -----------------------------------------------------------------

  void requireSynced(String operation) {
    if (!meta.get().synced()) {
      throw new VolumeStateException(
          meta.get().id(),
          resyncing ? "RESYNC_TARGET" : "UNSYNCED",
          "cannot " + operation + " before a resync from the primary completed");
    }
  }

  void read(long offset, byte[] dst) throws IOException {
    requireSynced("read");
    overlay.read(
        offset,
        dst,
        0,
        dst.length,
        (off, d, dOff, len) -> journal.readCommitted(off, d, dOff, len, base));
  }

  /** Refuses a write of {@code length} bytes the overlay has no room for (changes nothing). */
  void checkWrite(int length) {
    requireSynced("write");
    long max = settings.secondary().maxOverlayBytes();
    long after = overlay.bytes() + length + 32;
    if (after > max) {
      throw new LimitExceededException("overlay bytes", after, max);
    }
  }

  void write(long offset, byte[] data) throws IOException {
    checkWrite(data.length);
    overlay.write(offset, data);
  }

  void flush() throws IOException {
    flusher.flush(overlay.channel());
  }

  // ---- the primary's frames -------------------------------------------------------------------

  BlockFrame.ReplicaHello hello(long epoch) {
    VolumeMeta m = meta.get();
    return new BlockFrame.ReplicaHello(epoch, m.synced(), writtenSeq(), m.committedBarrier());
  }

  /**
   * The last frame whose effect is in the files: the primary's writes held in memory for the next
   * commit are not, and are neither acknowledged nor claimed after a reconnect (it sends them
   * again; they are duplicates then, ignored).
   */
  private long writtenSeq() {
    return journal.heldBytes() > 0 ? journal.writtenSeq() : lastSeq;
  }

  /** Bytes of the primary's writes held in memory, not yet in the journal's file. */
  long heldBytes() {
    return journal.heldBytes();
  }

  /**
   * The replica stream is idle (a heartbeat): the primary's writes held for the next commit are
   * written now, so that they can be acknowledged and the primary need not keep them.
   */
  void replicaIdle() throws IOException {
    journal.writeHeld();
  }

  /** Whether the journal has room for more of the primary's writes. */
  boolean hasRoom() {
    return journal.pendingBytes() < settings.secondary().maxPendingBytes();
  }

  /** Takes one frame of the replica stream. Duplicates (after a reconnect) are ignored. */
  void receive(BlockFrame.Replica f) throws IOException {
    if (f instanceof BlockFrame.ResyncBegin b) {
      beginResync(b);
      return;
    }
    if (f.seq() <= lastSeq) {
      return;
    }
    if (f.seq() != lastSeq + 1) {
      throw new CorruptStreamException(
          "replica frame " + f.seq() + " does not follow " + lastSeq + ": frames are missing");
    }
    switch (f) {
      case BlockFrame.ResyncData d -> {
        requireResyncing();
        checkRange(d.offset(), d.data().length);
        base.write(d.offset(), d.data(), 0, d.data().length);
      }
      case BlockFrame.ResyncEnd e -> {
        requireResyncing();
        base.force();
        VolumeMeta m = meta.get();
        meta.put(m.withJournal(true, -1, 0, e.seq(), m.journalGen(), m.overlayGen()));
        appliedPos = 0;
        resyncing = false;
        log.info("volume {}: resync complete at frame {}", m.id(), e.seq());
      }
      case BlockFrame.ReplicaWrite w -> {
        requireSynced("take the primary's writes");
        checkRange(w.offset(), w.data().length);
        journal.append(w, settings.faults());
      }
      case BlockFrame.ReplicaBarrier b -> {
        requireSynced("take the primary's barriers");
        journal.append(b);
      }
      default -> throw new CorruptStreamException("unexpected replica frame " + f);
    }
    lastSeq = f.seq();
  }

  private void requireResyncing() {
    if (!resyncing) {
      throw new VolumeStateException(
          meta.get().id(),
          meta.get().synced() ? "IN_SYNC" : "UNSYNCED",
          "resync data without a resync under way (the stream broke; start the resync again)");
    }
  }

  private void checkRange(long offset, int length) {
    if (!BlockLimits.inRange(offset, length, base.size())) {
      throw new SectorRangeException(offset, length, base.size());
    }
  }

  /** The primary starts copying its image: forget everything, start from zeros. */
  private void beginResync(BlockFrame.ResyncBegin b) throws IOException {
    VolumeMeta m = meta.get();
    if (b.sizeBytes() != m.sizeBytes()) {
      throw new VolumeStateException(
          m.id(),
          "SIZE",
          "the primary's volume has " + b.sizeBytes() + " bytes, this one " + m.sizeBytes());
    }
    int jGen = m.journalGen() + 1;
    int oGen = m.overlayGen() + 1;
    meta.put(m.withJournal(false, -1, 0, b.seq(), jGen, oGen));
    lastSeq = b.seq();
    appliedPos = 0;
    swapJournal(jGen);
    swapOverlay(oGen, 0);
    base.zero();
    resyncing = true;
    log.info("volume {}: resync from the primary begins (frame {})", m.id(), b.seq());
  }

  /** Makes what the stream delivered durable as the flush policy says, before it is acked. */
  BlockFrame.Ack acknowledge() throws IOException {
    flusher.flush(journal.channel());
    return new BlockFrame.Ack(writtenSeq(), meta.get().committedBarrier());
  }

  // ---- commit and failover --------------------------------------------------------------------

  /**
   * Commits barrier {@code n}: the primary's writes before its marker enter the base, the overlay
   * is discarded.
   *
   * @return {@code n}, or {@link #WAIT} if the marker has not arrived yet
   */
  /** Refuses a commit of barrier {@code n} that could never succeed here; changes nothing. */
  void checkCommit(long n) {
    requireSynced("commit");
    VolumeMeta m = meta.get();
    if (n < 0 || n < m.committedBarrier()) {
      throw new BarrierOrderException(
          n,
          m.committedBarrier(),
          "barrier " + n + " is older than the committed barrier " + m.committedBarrier());
    }
  }

  long tryCommit(long n) throws IOException {
    checkCommit(n);
    VolumeMeta m = meta.get();
    if (n == m.committedBarrier()) {
      discardOverlay(); // a repeated commit: the VM's state is barrier n again
      return n;
    }
    HiddenJournal.Entry marker = journal.barrier(n);
    if (marker == null) {
      long highest = journal.highestBarrier();
      if (highest > n) {
        throw new BarrierOrderException(
            n,
            m.committedBarrier(),
            "barrier " + n + " never reached this secondary (barrier " + highest + " did)");
      }
      return WAIT;
    }
    journal.writeHeld(); // the writes held since the last commit, in one batch
    if (journal.writesBefore(marker.end()) > 0) {
      // the committed state refers to these records: they must be as durable as the state
      if (settings.commitsWriteBehind()) {
        flusher.flush(journal.channel());
      } else {
        journal.force();
      }
    }
    return finishCommit(n, marker.end());
  }

  /**
   * Persists a commit's state: durably (fsyncs) under the {@code FSYNC} policy, else against a
   * process crash only, the host's boot recorded (the secondary VM is paused for the commit, and a
   * host crash ends that VM anyway; see {@link #recover}).
   */
  private void putCommitState(VolumeMeta next) throws IOException {
    if (settings.commitsWriteBehind()) {
      meta.putBehind(next, settings.hostBoot());
    } else {
      meta.put(next);
    }
  }

  /**
   * Commits barrier {@code n} at journal position {@code pos}: the state is persisted, then the
   * writes before {@code pos} join the committed writes (served from the journal until {@link
   * #applyStep} copied them into the base) and the overlay is discarded. Costs a state write and a
   * few map operations per distinct sector, however many writes the interval had.
   */
  private long finishCommit(long n, long pos) throws IOException {
    VolumeMeta m = meta.get();
    // the background copy of earlier commits is still far behind (not this commit's own writes)
    boolean behind =
        journal.hasUnapplied()
            && m.committedPos() - appliedPos >= 2 * settings.secondary().journalCompactBytes();
    boolean freshOverlay = !overlay.isEmpty(); // an empty overlay keeps its generation and file
    VolumeMeta done = m.committedAt(n, pos, appliedPos, freshOverlay, reuseOverlayFile());
    putCommitState(done);
    settings.faults().reached(FaultPoint.COMMIT_AFTER_INTENT);
    lastCommitWrites = journal.commitTo(pos);
    if (freshOverlay) {
      freshOverlay(done);
    }
    if (!journal.hasUnapplied()) {
      applied();
    } else if (behind) {
      // the background copy did not catch up with earlier commits: finish it so that the
      // journal's committed prefix can be rewritten away (a longer pause, rarely; a bounded
      // journal)
      applyAll();
    }
    return n;
  }

  /** Whether committed writes are still to be copied into the base. */
  boolean hasUnapplied() {
    return journal.hasUnapplied();
  }

  /** Committed sectors not yet copied into the base (served from the journal meanwhile). */
  int unappliedSectors() {
    return journal.unappliedSectors();
  }

  /**
   * Copies the next committed sectors into the base (a bounded step, under the volume's lock).
   *
   * @return whether more are left
   */
  boolean applyStep() throws IOException {
    if (!journal.hasUnapplied()) {
      return false;
    }
    baseDirty = true;
    if (journal.applyStep(base, APPLY_STEP_SECTORS, settings.faults())) {
      return true;
    }
    applied();
    return false;
  }

  /** Copies every committed write into the base now. */
  void applyAll() throws IOException {
    while (applyStep()) {
      // next step
    }
  }

  /**
   * The base has every committed write: flushed per policy (fsynced under {@code FSYNC} before the
   * journal's committed records may be forgotten), the next state records it, and a long committed
   * journal prefix is rewritten away.
   */
  private void applied() throws IOException {
    if (baseDirty) {
      if (settings.commitsWriteBehind()) {
        flusher.flush(base.channel());
      } else {
        base.force();
      }
      baseDirty = false;
    }
    appliedPos = journal.committedEnd();
    compactIfLarge();
  }

  /** Primary writes the last commit applied to the base. */
  int lastCommitWrites() {
    return lastCommitWrites;
  }

  private void discardOverlay() throws IOException {
    if (!overlay.isEmpty()) {
      VolumeMeta m = meta.get().withFreshOverlay(reuseOverlayFile());
      putCommitState(m);
      freshOverlay(m);
    }
  }

  /** Largest overlay file a commit empties in place; a larger one is replaced (its space freed). */
  static final long MAX_REUSED_OVERLAY_BYTES = 64L << 20;

  /**
   * Eras before the overlay's file is replaced anyway (the era is an int in every record's check).
   */
  static final int MAX_OVERLAY_ERA = 1 << 30;

  /**
   * Whether the commit that discards the overlay rewrites its file in a new era (no file created or
   * deleted while the secondary VM waits: issue 18) rather than starting a new file: yes while the
   * file is small enough that keeping its space is harmless.
   */
  private boolean reuseOverlayFile() throws IOException {
    return overlay.fileBytes() <= MAX_REUSED_OVERLAY_BYTES
        && meta.get().overlayEra() < MAX_OVERLAY_ERA;
  }

  /**
   * The overlay as the persisted state {@code m} names it after a commit discarded it: the same
   * file in a new era, or a new file.
   */
  private void freshOverlay(VolumeMeta m) throws IOException {
    if (overlayPath(dir, m.overlayFile()).equals(overlay.path())) {
      overlay.restart(m.overlayEra());
    } else {
      swapOverlay(m.overlayFile(), m.overlayEra());
    }
  }

  private void compactIfLarge() throws IOException {
    VolumeMeta m = meta.get();
    if (m.committedPos() < settings.secondary().journalCompactBytes()) {
      return;
    }
    int gen = m.journalGen() + 1;
    HiddenJournal fresh = journal.compactInto(journalPath(dir, gen), maxPayload(settings));
    meta.put(m.withJournal(true, m.committedBarrier(), 0, lastSeq, gen, m.overlayGen()));
    appliedPos = 0;
    Path old = journal.path();
    journal.close();
    Files.deleteIfExists(old);
    journal = fresh;
    journal.holdUpTo(settings.secondary().maxHeldBytes());
  }

  /** Starts a failover to {@code newEpoch}; the volume is a primary when this returns. */
  void failover(long newEpoch) throws IOException {
    requireSynced("fail over");
    meta.put(meta.get().withFailoverIntent(newEpoch));
    settings.faults().reached(FaultPoint.FAILOVER_AFTER_INTENT);
    finishFailover();
  }

  private void finishFailover() throws IOException {
    VolumeMeta m = meta.get();
    while (journal.applyStep(base, Integer.MAX_VALUE, settings.faults())) {
      // every committed write into the base first, then the VM's own over them
    }
    long merged = overlay.mergeInto(base, settings.faults());
    base.force(); // also what earlier commits left to the page cache
    meta.putSynced(m.promoted());
    log.info(
        "volume {}: failed over to epoch {} at barrier {}: {} own writes kept, {} pending"
            + " primary writes ({} bytes) discarded",
        m.id(),
        m.intentEpoch(),
        m.committedBarrier(),
        merged,
        journal.pendingWrites(),
        journal.pendingBytes());
    close();
    Files.deleteIfExists(journal.path());
    Files.deleteIfExists(overlay.path());
  }

  private void swapJournal(int gen) throws IOException {
    Path old = journal.path();
    journal.close();
    Files.deleteIfExists(old);
    Path fresh = journalPath(dir, gen);
    Files.deleteIfExists(fresh);
    journal = HiddenJournal.open(fresh, 0, lastSeq, maxPayload(settings));
    journal.holdUpTo(settings.secondary().maxHeldBytes());
  }

  private void swapOverlay(int fileGen, int era) throws IOException {
    Path old = overlay.path();
    overlay.close();
    Files.deleteIfExists(old);
    Path fresh = overlayPath(dir, fileGen);
    Files.deleteIfExists(fresh);
    overlay = Overlay.open(fresh, maxPayload(settings), era);
  }

  @Override
  public void close() throws IOException {
    try {
      journal.close();
    } finally {
      overlay.close();
    }
  }
}
