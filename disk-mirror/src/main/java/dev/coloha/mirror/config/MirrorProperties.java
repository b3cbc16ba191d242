package dev.coloha.mirror.config;

import dev.coloha.mirror.volume.FaultPoint;
import dev.coloha.mirror.volume.FlushPolicy;
import dev.coloha.mirror.volume.VolumeSettings;
import dev.coloha.web.settings.InvalidSettingException;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the disk mirror ({@code colo.mirror.*}); every limit has a name here. See
 * docs/configuration.md and docs/disk-mirror.md.
 *
 * @param dataDir volume directories live under {@code <data-dir>/volumes/}
 * @param maxVolumes volumes per mirror
 * @param maxVolumeSize largest volume
 * @param flushPolicy what a flush does to images, overlays and journals: FSYNC, INTERVAL or OS
 * @param flushInterval period of the INTERVAL policy
 * @param io the agents' I/O streams
 * @param secondary a secondary volume's hidden writes and overlay
 * @param replication a primary's forwarding to its secondary
 * @param resync re-protection copies
 * @param testing fault injection for crash tests (never set in production)
 */
@ConfigurationProperties("colo.mirror")
public record MirrorProperties(
    @DefaultValue("./data/mirror") Path dataDir,
    @DefaultValue("64") int maxVolumes,
    @DefaultValue("64GB") DataSize maxVolumeSize,
    @DefaultValue("INTERVAL") FlushPolicy flushPolicy,
    @DefaultValue("1s") Duration flushInterval,
    @DefaultValue Io io,
    @DefaultValue Secondary secondary,
    @DefaultValue Replication replication,
    @DefaultValue Resync resync,
    @DefaultValue Testing testing) {

  /**
   * @param maxRequest largest single read or write (a larger one is refused, the stream goes on)
   * @param maxFrame largest frame read from any stream (a larger one ends the stream)
   * @param unixSocket a Unix-domain socket for the I/O streams of agents on this host (the agent's
   *     {@code colo.agent.mirror.local-socket}), besides the HTTP stream; none by default
   * @param socketBuffer the HTTP server reads and writes its sockets in buffers of this size
   *     (Tomcat's {@code socket.appReadBufSize} and {@code appWriteBufSize}, 8 KiB by default: a
   *     replica stream of 4 KiB writes then costs a socket read and a wake-up every other write)
   * @param pollAfterFlush on the Unix-domain socket, how long a stream's thread looks for the next
   *     request after it answered a flush, without sleeping (yielding its CPU between looks),
   *     before it sleeps in a blocking read: the agent waited for that reply and sends its next
   *     request soon (issue 18, {@code appendfsync always}); 0: sleeps at once
   */
  public record Io(
      @DefaultValue("1MB") DataSize maxRequest,
      @DefaultValue("4MB") DataSize maxFrame,
      Path unixSocket,
      @DefaultValue("64KB") DataSize socketBuffer,
      @DefaultValue("100us") Duration pollAfterFlush) {
    public Io {
      if (pollAfterFlush != null && pollAfterFlush.isNegative()) {
        throw new InvalidSettingException(
            "colo.mirror.io.poll-after-flush", pollAfterFlush, "must not be negative");
      }
    }
  }

  /**
   * @param maxPendingBytes primary writes held hidden until their barrier commits; above it the
   *     replica stream is not read (backpressure to the primary)
   * @param maxOverlayBytes the secondary VM's own writes since the last commit
   * @param commitTimeout how long a commit waits for its barrier to arrive from the primary
   * @param journalCompactBytes committed journal prefix above which a commit rewrites the journal
   * @param receiveStallTimeout how long a full journal may hold the replica stream before the
   *     stream is refused
   * @param maxHeldBytes primary writes held in memory, then written to the journal in one batch
   *     (when more would pass it, at a commit, or when the replica stream is idle); a cache-sized
   *     batch, so that it is written while still in the CPU's cache; only written ones are
   *     acknowledged, so keep it well below the primary's {@code replication.max-pending-bytes}; 0
   *     writes each one as it arrives
   */
  public record Secondary(
      @DefaultValue("1GB") DataSize maxPendingBytes,
      @DefaultValue("1GB") DataSize maxOverlayBytes,
      @DefaultValue("10s") Duration commitTimeout,
      @DefaultValue("64MB") DataSize journalCompactBytes,
      @DefaultValue("30s") Duration receiveStallTimeout,
      @DefaultValue("256KB") DataSize maxHeldBytes) {}

  /**
   * @param maxPendingBytes bytes forwarded but not yet acknowledged; a write waits above it
   * @param maxPendingWrites frames forwarded but not yet acknowledged (queue depth)
   * @param backpressureTimeout how long a write waits for room before the replication is declared
   *     broken (DEGRADED)
   * @param heartbeatInterval heartbeat on an idle replica stream
   * @param streamTimeout silence from the secondary after which the stream is reopened
   * @param connectTimeout TCP connect timeout to the secondary's mirror
   * @param reconnectBackoff first wait before reconnecting (doubles at each attempt, jittered by
   *     half either way)
   * @param maxReconnectBackoff longest wait between reconnection attempts
   */
  public record Replication(
      @DefaultValue("64MB") DataSize maxPendingBytes,
      @DefaultValue("65536") int maxPendingWrites,
      @DefaultValue("30s") Duration backpressureTimeout,
      @DefaultValue("500ms") Duration heartbeatInterval,
      @DefaultValue("5s") Duration streamTimeout,
      @DefaultValue("2s") Duration connectTimeout,
      @DefaultValue("100ms") Duration reconnectBackoff,
      @DefaultValue("2s") Duration maxReconnectBackoff) {}

  /**
   * @param chunk unit of copy and of dirty tracking
   * @param maxRounds dirty rounds after the bulk copy before the final round
   * @param finalRoundBytes dirty bytes small enough to copy in the final round, during which the
   *     primary's writes wait
   */
  public record Resync(
      @DefaultValue("256KB") DataSize chunk,
      @DefaultValue("8") int maxRounds,
      @DefaultValue("4MB") DataSize finalRoundBytes) {}

  /**
   * @param crashAt a fault-injection point at which the process halts like {@code kill -9} (crash
   *     tests only): journal-torn-append, commit-after-intent, commit-mid-apply,
   *     failover-after-intent, failover-mid-merge
   */
  public record Testing(String crashAt) {}

  /** The domain's view of these settings. */
  public VolumeSettings toSettings() {
    return new VolumeSettings(
        flushPolicy,
        flushInterval,
        (int) io.maxRequest().toBytes(),
        (int) io.maxFrame().toBytes(),
        new VolumeSettings.Secondary(
            secondary.maxPendingBytes().toBytes(),
            secondary.maxOverlayBytes().toBytes(),
            secondary.commitTimeout(),
            secondary.journalCompactBytes().toBytes(),
            secondary.receiveStallTimeout(),
            secondary.maxHeldBytes().toBytes()),
        new VolumeSettings.Replication(
            replication.maxPendingBytes().toBytes(),
            replication.maxPendingWrites(),
            replication.backpressureTimeout(),
            replication.heartbeatInterval(),
            replication.streamTimeout(),
            replication.connectTimeout(),
            replication.reconnectBackoff(),
            replication.maxReconnectBackoff()),
        new VolumeSettings.Resync(
            (int) resync.chunk().toBytes(), resync.maxRounds(), resync.finalRoundBytes().toBytes()),
        testing.crashAt() == null || testing.crashAt().isBlank()
            ? FaultPoint.NONE
            : FaultPoint.haltAt(testing.crashAt()),
        dev.coloha.mirror.volume.HostBoot.current());
  }
}
