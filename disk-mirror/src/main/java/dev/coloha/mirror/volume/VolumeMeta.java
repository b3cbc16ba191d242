package dev.coloha.mirror.volume;

import dev.coloha.api.mirror.VolumeRole;

/**
 * What a volume persists about itself (file {@code meta}, replaced atomically). A pending {@link
 * Intent} is the crash-recovery point of a failover (and of a commit in files written before
 * commits were copied into the base in the background): once it is on disk the operation is
 * finished by whoever opens the volume next, however far it got.
 *
 * @param id volume id
 * @param sizeBytes size in bytes (whole sectors)
 * @param role primary or secondary
 * @param epoch highest epoch seen; older ones are refused
 * @param secondaryUrl primary: base URL of the secondary's mirror, null when unprotected
 * @param secondaryVolume primary: the volume id on the secondary's mirror
 * @param synced secondary: a resync completed, so the base is a real copy of the primary
 * @param committedBarrier secondary: the last committed barrier (-1 none)
 * @param committedPos secondary: journal position after the last committed record
 * @param appliedPos secondary: journal position up to which every committed write is in the base
 *     image (at most {@code committedPos}; the records between them are copied in the background
 *     after a commit and again, idempotently, when the volume is opened)
 * @param seqFloor secondary: sequence number of everything applied or dropped before the journal
 * @param journalGen secondary: generation of the pending-write journal file
 * @param overlayGen secondary: generation of the overlay: a new one at every commit that discards a
 *     non-empty overlay
 * @param overlayFile secondary: the generation whose file ({@code overlay-<overlayFile>.log}) holds
 *     the overlay; the overlay's records carry its era, {@code overlayGen - overlayFile}, so a
 *     commit empties the overlay by rewriting that file from its start in a new era instead of
 *     creating a new file and deleting the old one (records of an older era are cut off when it is
 *     opened)
 * @param intent a commit or failover under way
 * @param intentBarrier the barrier a commit intent commits
 * @param intentPos the journal position a commit intent applies up to
 * @param intentEpoch the epoch a failover intent promotes to
 */
public record VolumeMeta(
    String id,
    long sizeBytes,
    VolumeRole role,
    long epoch,
    String secondaryUrl,
    String secondaryVolume,
    boolean synced,
    long committedBarrier,
    long committedPos,
    long appliedPos,
    long seqFloor,
    int journalGen,
    int overlayGen,
    int overlayFile,
    Intent intent,
    long intentBarrier,
    long intentPos,
    long intentEpoch) {

  /** A crash-sensitive operation under way. */
  public enum Intent {
    NONE,
    COMMIT,
    FAILOVER
  }

  public static VolumeMeta fresh(String id, long sizeBytes, VolumeRole role, long epoch) {
    return new VolumeMeta(
        id, sizeBytes, role, epoch, null, null, false, -1, 0, 0, 0, 1, 1, 1, Intent.NONE, -1, 0, 0);
  }

  public VolumeMeta withEpoch(long e) {
    return new VolumeMeta(
        id,
        sizeBytes,
        role,
        e,
        secondaryUrl,
        secondaryVolume,
        synced,
        committedBarrier,
        committedPos,
        appliedPos,
        seqFloor,
        journalGen,
        overlayGen,
        overlayFile,
        intent,
        intentBarrier,
        intentPos,
        intentEpoch);
  }

  public VolumeMeta withSecondary(String url, String volume) {
    return new VolumeMeta(
        id,
        sizeBytes,
        role,
        epoch,
        url,
        volume,
        synced,
        committedBarrier,
        committedPos,
        appliedPos,
        seqFloor,
        journalGen,
        overlayGen,
        overlayFile,
        intent,
        intentBarrier,
        intentPos,
        intentEpoch);
  }

  /** A secondary's replication state after a resync began or ended, or a journal compaction. */
  public VolumeMeta withJournal(
      boolean isSynced, long committed, long pos, long floor, int jGen, int oGen) {
    return new VolumeMeta(
        id,
        sizeBytes,
        role,
        epoch,
        secondaryUrl,
        secondaryVolume,
        isSynced,
        committed,
        pos,
        pos,
        floor,
        jGen,
        oGen,
        oGen == overlayGen ? overlayFile : oGen,
        intent,
        intentBarrier,
        intentPos,
        intentEpoch);
  }

  public VolumeMeta withFailoverIntent(long newEpoch) {
    return new VolumeMeta(
        id,
        sizeBytes,
        role,
        epoch,
        secondaryUrl,
        secondaryVolume,
        synced,
        committedBarrier,
        committedPos,
        appliedPos,
        seqFloor,
        journalGen,
        overlayGen,
        overlayFile,
        Intent.FAILOVER,
        -1,
        0,
        newEpoch);
  }

  /**
   * Barrier {@code barrier} committed up to journal position {@code pos}, the base holding every
   * committed write before {@code applied}, the overlay discarded (a fresh generation) when {@code
   * freshOverlay}: in a new era of its file when {@code reuseFile}, else in a new file.
   */
  public VolumeMeta committedAt(
      long barrier, long pos, long applied, boolean freshOverlay, boolean reuseFile) {
    return new VolumeMeta(
        id,
        sizeBytes,
        role,
        epoch,
        secondaryUrl,
        secondaryVolume,
        synced,
        barrier,
        pos,
        applied,
        seqFloor,
        journalGen,
        freshOverlay ? overlayGen + 1 : overlayGen,
        freshOverlay && !reuseFile ? overlayGen + 1 : overlayFile,
        Intent.NONE,
        -1,
        0,
        0);
  }

  /**
   * The overlay discarded without a new barrier (a commit of the barrier already committed): in a
   * new era of its file when {@code reuseFile}, else in a new file.
   */
  public VolumeMeta withFreshOverlay(boolean reuseFile) {
    return new VolumeMeta(
        id,
        sizeBytes,
        role,
        epoch,
        secondaryUrl,
        secondaryVolume,
        synced,
        committedBarrier,
        committedPos,
        appliedPos,
        seqFloor,
        journalGen,
        overlayGen + 1,
        reuseFile ? overlayFile : overlayGen + 1,
        intent,
        intentBarrier,
        intentPos,
        intentEpoch);
  }

  /** Any intent forgotten (it cannot be finished; the volume needs a resync). */
  public VolumeMeta withoutIntent() {
    return new VolumeMeta(
        id,
        sizeBytes,
        role,
        epoch,
        secondaryUrl,
        secondaryVolume,
        synced,
        committedBarrier,
        committedPos,
        appliedPos,
        seqFloor,
        journalGen,
        overlayGen,
        overlayFile,
        Intent.NONE,
        -1,
        0,
        0);
  }

  /** The failover intent done: a primary in the new epoch, with no secondary yet. */
  public VolumeMeta promoted() {
    return new VolumeMeta(
        id,
        sizeBytes,
        VolumeRole.PRIMARY,
        Math.max(epoch, intentEpoch),
        null,
        null,
        false,
        committedBarrier,
        0,
        0,
        0,
        journalGen + 1,
        overlayGen + 1,
        overlayGen + 1,
        Intent.NONE,
        -1,
        0,
        0);
  }

  /** The era of the overlay's records in its file (0 in a new file). */
  public int overlayEra() {
    return overlayGen - overlayFile;
  }
}
