package dev.coloha.coordinator.remote;

import dev.coloha.api.mirror.CreateVolumeRequest;
import dev.coloha.api.mirror.FailoverRequest;
import dev.coloha.api.mirror.ResyncRequest;
import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.api.mirror.VolumeStatus;
import dev.coloha.coordinator.remote.Remote.Idempotence;
import java.time.Duration;
import java.util.List;

/** The coordinator's calls to disk mirrors (docs/disk-mirror.md). */
public final class MirrorClient {
  private final Remote remote;
  private final Duration timeout;

  public MirrorClient(Remote remote, Duration timeout) {
    this.remote = remote;
    this.timeout = timeout;
  }

  /** The circuit breaker's name for the mirror at {@code url}. */
  public static String target(String url) {
    return "mirror:" + url;
  }

  /**
   * Whether the mirror answers a direct probe; if it does, its circuit breaker is closed again (it
   * may be a restarted mirror on the old address).
   */
  public boolean ready(String url, Duration probeTimeout) {
    return remote.ready(target(url), url, probeTimeout);
  }

  /** Creates a volume unless it exists (409 counts as done). */
  public void createVolume(String url, String volume, long sizeBytes, String role, long epoch) {
    try {
      remote.call(
          target(url),
          Idempotence.ONCE,
          "POST",
          url + "/v1/volumes",
          new CreateVolumeRequest(volume, sizeBytes, VolumeRole.valueOf(role), epoch),
          VolumeStatus.class,
          timeout);
    } catch (RemoteException e) {
      if (e.status() != 409) {
        throw e;
      }
    }
  }

  /** Makes a primary volume replicate to a (new) secondary, copying the whole image first. */
  public void resync(String url, String volume, String secondaryMirrorUrl, String secondaryVolume) {
    remote.call(
        target(url),
        Idempotence.IDEMPOTENT,
        "POST",
        url + "/v1/volumes/" + volume + "/resync",
        new ResyncRequest(secondaryMirrorUrl, secondaryVolume),
        VolumeStatus.class,
        timeout);
  }

  /**
   * A volume's status: its state (primary: UNPROTECTED, RESYNCING, REPLICATING, DEGRADED, FENCED;
   * secondary: UNSYNCED, RESYNC_TARGET, IN_SYNC) and, for a primary, its replication (why it is not
   * working).
   */
  public VolumeStatus volumeState(String url, String volume) {
    return remote.get(target(url), url + "/v1/volumes/" + volume, VolumeStatus.class, timeout);
  }

  /** Failover of a secondary volume: its overlay becomes the disk, in the new epoch. */
  public void failover(String url, String volume, long epoch) {
    remote.call(
        target(url),
        Idempotence.IDEMPOTENT,
        "POST",
        url + "/v1/volumes/" + volume + "/failover",
        new FailoverRequest(epoch),
        VolumeStatus.class,
        timeout);
  }

  /** The ids of the mirror's volumes ({@code GET /v1/volumes}); a volume's id is its group's id. */
  public List<String> volumeIds(String url) {
    return remote.ids(
        target(url), url + "/v1/volumes", VolumeStatus[].class, VolumeStatus::id, timeout);
  }

  public void deleteVolume(String url, String volume) {
    remote.delete(target(url), url + "/v1/volumes/" + volume, timeout);
  }
}
