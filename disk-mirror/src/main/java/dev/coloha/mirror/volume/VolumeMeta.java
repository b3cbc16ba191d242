package dev.coloha.mirror.volume;

import dev.coloha.api.mirror.VolumeRole;
import java.util.function.Consumer;

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
    return edit(d -> d.epoch = e);
  }

  public VolumeMeta withSecondary(String url, String volume) {
    return edit(
        d -> {
          d.secondaryUrl = url;
          d.secondaryVolume = volume;
        });
  }

  /** A secondary's replication state after a resync began or ended, or a journal compaction. */
  public VolumeMeta withJournal(
      boolean isSynced, long committed, long pos, long floor, int jGen, int oGen) {
    return edit(
        d -> {
          d.synced = isSynced;
          d.committedBarrier = committed;
          d.committedPos = pos;
          d.appliedPos = pos;
          d.seqFloor = floor;
          d.journalGen = jGen;
          d.overlayFile = oGen == overlayGen ? overlayFile : oGen;
          d.overlayGen = oGen;
        });
  }

  public VolumeMeta withFailoverIntent(long newEpoch) {
    return edit(
        d -> {
          d.intent = Intent.FAILOVER;
          d.intentBarrier = -1;
          d.intentPos = 0;
          d.intentEpoch = newEpoch;
        });
  }

  /**
   * Barrier {@code barrier} committed up to journal position {@code pos}, the base holding every
   * committed write before {@code applied}, the overlay discarded (a fresh generation) when {@code
   * freshOverlay}: in a new era of its file when {@code reuseFile}, else in a new file.
   */
  public VolumeMeta committedAt(
      long barrier, long pos, long applied, boolean freshOverlay, boolean reuseFile) {
    return edit(
        d -> {
          d.committedBarrier = barrier;
          d.committedPos = pos;
          d.appliedPos = applied;
          d.overlayGen = freshOverlay ? overlayGen + 1 : overlayGen;
          d.overlayFile = freshOverlay && !reuseFile ? overlayGen + 1 : overlayFile;
          d.noIntent();
        });
  }

  /**
   * The overlay discarded without a new barrier (a commit of the barrier already committed): in a
   * new era of its file when {@code reuseFile}, else in a new file.
   */
  public VolumeMeta withFreshOverlay(boolean reuseFile) {
    return edit(
        d -> {
          d.overlayGen = overlayGen + 1;
          d.overlayFile = reuseFile ? overlayFile : overlayGen + 1;
        });
  }

  /** Any intent forgotten (it cannot be finished; the volume needs a resync). */
  public VolumeMeta withoutIntent() {
    return edit(Draft::noIntent);
  }

  /** The failover intent done: a primary in the new epoch, with no secondary yet. */
  public VolumeMeta promoted() {
    return edit(
        d -> {
          d.role = VolumeRole.PRIMARY;
          d.epoch = Math.max(epoch, intentEpoch);
          d.secondaryUrl = null;
          d.secondaryVolume = null;
          d.synced = false;
          d.committedPos = 0;
          d.appliedPos = 0;
          d.seqFloor = 0;
          d.journalGen = journalGen + 1;
          d.overlayGen = overlayGen + 1;
          d.overlayFile = overlayGen + 1;
          d.noIntent();
        });
  }

  /** The era of the overlay's records in its file (0 in a new file). */
  public int overlayEra() {
    return overlayGen - overlayFile;
  }

  /**
   * This metadata with {@code change} made to a draft of it: the one place that copies every field,
   * so that each change names only what it changes.
   */
  private VolumeMeta edit(Consumer<Draft> change) {
    Draft d = new Draft();
    change.accept(d);
    return d.meta();
  }

  /** A volume's metadata, open to change while the next value is built. */
  private final class Draft {
    String id = VolumeMeta.this.id;
    long sizeBytes = VolumeMeta.this.sizeBytes;
    VolumeRole role = VolumeMeta.this.role;
    long epoch = VolumeMeta.this.epoch;
    String secondaryUrl = VolumeMeta.this.secondaryUrl;
    String secondaryVolume = VolumeMeta.this.secondaryVolume;
    boolean synced = VolumeMeta.this.synced;
    long committedBarrier = VolumeMeta.this.committedBarrier;
    long committedPos = VolumeMeta.this.committedPos;
    long appliedPos = VolumeMeta.this.appliedPos;
    long seqFloor = VolumeMeta.this.seqFloor;
    int journalGen = VolumeMeta.this.journalGen;
    int overlayGen = VolumeMeta.this.overlayGen;
    int overlayFile = VolumeMeta.this.overlayFile;
    Intent intent = VolumeMeta.this.intent;
    long intentBarrier = VolumeMeta.this.intentBarrier;
    long intentPos = VolumeMeta.this.intentPos;
    long intentEpoch = VolumeMeta.this.intentEpoch;

    /** No operation under way. */
    void noIntent() {
      intent = Intent.NONE;
      intentBarrier = -1;
      intentPos = 0;
      intentEpoch = 0;
    }

    VolumeMeta meta() {
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
          intent,
          intentBarrier,
          intentPos,
          intentEpoch);
    }
  }
}
