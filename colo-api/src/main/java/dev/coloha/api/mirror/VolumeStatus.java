package dev.coloha.api.mirror;

/**
 * A volume's figures at one moment.
 *
 * @param id volume id
 * @param sizeBytes size
 * @param role primary or secondary
 * @param state primary: UNPROTECTED, RESYNCING, REPLICATING, DEGRADED, FENCED; secondary: UNSYNCED,
 *     RESYNC_TARGET, IN_SYNC
 * @param epoch the volume's epoch
 * @param lastBarrier primary: last barrier marked; secondary: highest barrier received
 * @param committedBarrier secondary: last committed barrier; primary: the last one its secondary
 *     reported committed (-1 none)
 * @param pendingWrites secondary: primary writes held hidden until their barrier commits; primary:
 *     frames forwarded but not yet acknowledged
 * @param pendingBytes the bytes of those
 * @param overlayBytes secondary: size of the overlay (its VM's own writes since the last commit)
 * @param overlaySectors secondary: distinct sectors in the overlay
 * @param reads reads served
 * @param writes writes applied
 * @param bytesRead bytes read
 * @param bytesWritten bytes written
 * @param replication primary with a secondary: where it forwards and how far behind it is
 * @param resync primary: the last resync's progress
 */
public record VolumeStatus(
    String id,
    long sizeBytes,
    VolumeRole role,
    String state,
    long epoch,
    long lastBarrier,
    long committedBarrier,
    long pendingWrites,
    long pendingBytes,
    long overlayBytes,
    long overlaySectors,
    long reads,
    long writes,
    long bytesRead,
    long bytesWritten,
    Replication replication,
    ResyncProgress resync) {

  /**
   * @param secondaryUrl the secondary's mirror
   * @param secondaryVolume its volume id
   * @param connected whether the replica stream is open
   * @param lagFrames frames not yet acknowledged
   * @param lagBytes bytes not yet acknowledged
   * @param lagSeconds age of the oldest unacknowledged frame
   * @param lastSeq last frame numbered
   * @param ackedSeq last frame acknowledged
   * @param reason why the replication is DEGRADED or FENCED
   */
  public record Replication(
      String secondaryUrl,
      String secondaryVolume,
      boolean connected,
      long lagFrames,
      long lagBytes,
      double lagSeconds,
      long lastSeq,
      long ackedSeq,
      String reason) {}

  /**
   * @param phase BULK, ROUNDS, FINAL, WAITING_ACK, DONE or FAILED
   * @param totalBytes size of the image
   * @param copiedBytes bytes sent (chunks sent again in dirty rounds count again)
   * @param skippedZeroBytes all-zero bytes not sent by the bulk pass
   * @param round dirty rounds done
   * @param dirtyBytes bytes dirty at the last look
   * @param seconds time since the start (until acknowledged)
   */
  public record ResyncProgress(
      String phase,
      long totalBytes,
      long copiedBytes,
      long skippedZeroBytes,
      int round,
      long dirtyBytes,
      double seconds) {}
}
