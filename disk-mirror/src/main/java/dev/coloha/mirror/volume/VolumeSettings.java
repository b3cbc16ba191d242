package dev.coloha.mirror.volume;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * Limits and knobs of a mirror's volumes, from {@code colo.mirror.*} (docs/configuration.md).
 *
 * @param flushPolicy what a flush does to the image, overlay and journal
 * @param flushInterval period of the INTERVAL policy
 * @param maxRequest largest single read or write
 * @param maxFrame largest frame read from a stream (a larger one ends the stream)
 * @param secondary limits of a secondary's hidden writes and overlay
 * @param replication the primary's forwarding to its secondary
 * @param resync re-protection copies
 * @param faults fault-injection points (tests only)
 * @param hostBoot this host's boot id ({@link HostBoot}); null: commits fsync whatever the policy
 */
public record VolumeSettings(
    FlushPolicy flushPolicy,
    Duration flushInterval,
    int maxRequest,
    int maxFrame,
    Secondary secondary,
    Replication replication,
    Resync resync,
    FaultPoint faults,
    String hostBoot) {

  /**
   * @param maxPendingBytes primary writes held uncommitted; above it the replica stream is not read
   *     (backpressure to the primary)
   * @param maxOverlayBytes size of the overlay file; a secondary VM write beyond it is refused
   * @param commitTimeout how long a commit waits for its barrier to arrive from the primary
   * @param journalCompactBytes committed journal prefix above which a commit rewrites the journal
   * @param receiveStallTimeout how long the replica stream waits for room before it gives up
   * @param maxHeldBytes the primary's writes held in memory, then written to the journal in one
   *     batch (when more would pass it, at a commit, or when the replica stream is idle); 0 writes
   *     each one as it arrives
   */
  public record Secondary(
      long maxPendingBytes,
      long maxOverlayBytes,
      Duration commitTimeout,
      long journalCompactBytes,
      Duration receiveStallTimeout,
      long maxHeldBytes) {

    /** The default hold of {@link #DEFAULT_MAX_HELD_BYTES}. */
    public Secondary(
        long maxPendingBytes,
        long maxOverlayBytes,
        Duration commitTimeout,
        long journalCompactBytes,
        Duration receiveStallTimeout) {
      this(
          maxPendingBytes,
          maxOverlayBytes,
          commitTimeout,
          journalCompactBytes,
          receiveStallTimeout,
          DEFAULT_MAX_HELD_BYTES);
    }

    public Secondary withMaxHeldBytes(long bytes) {
      return new Secondary(
          maxPendingBytes,
          maxOverlayBytes,
          commitTimeout,
          journalCompactBytes,
          receiveStallTimeout,
          bytes);
    }
  }

  /**
   * {@code colo.mirror.secondary.max-held-bytes}'s default: small enough that the held records are
   * still in the CPU's cache when they are written (8 MiB written at once cost the replica receiver
   * a third more CPU per byte, issue 18), large enough to batch the small frames of a guest whose
   * writes the agent does not combine.
   */
  public static final long DEFAULT_MAX_HELD_BYTES = 256L << 10;

  /**
   * @param maxPendingBytes bytes forwarded but not yet acknowledged by the secondary; a write waits
   *     for room above it
   * @param maxPendingWrites frames forwarded but not acknowledged (queue depth)
   * @param backpressureTimeout how long a write waits for room before the replication is declared
   *     broken (DEGRADED: the write completes, the secondary needs a resync)
   * @param heartbeatInterval heartbeat on an idle replica stream
   * @param streamTimeout silence from the secondary after which the stream is reopened
   * @param connectTimeout TCP connect timeout to the secondary's mirror
   * @param reconnectBackoff first wait before reconnecting; doubles up to the maximum, jittered by
   *     half either way
   * @param maxReconnectBackoff longest wait between reconnection attempts
   */
  public record Replication(
      long maxPendingBytes,
      int maxPendingWrites,
      Duration backpressureTimeout,
      Duration heartbeatInterval,
      Duration streamTimeout,
      Duration connectTimeout,
      Duration reconnectBackoff,
      Duration maxReconnectBackoff) {}

  /**
   * @param chunk unit of copy and of dirty tracking
   * @param maxRounds dirty rounds after the bulk copy before the final round
   * @param finalRoundBytes dirty bytes small enough to copy in the final round (writes wait)
   */
  public record Resync(int chunk, int maxRounds, long finalRoundBytes) {}

  public static VolumeSettings defaults() {
    return new VolumeSettings(
        FlushPolicy.INTERVAL,
        Duration.ofSeconds(1),
        1 << 20,
        4 << 20,
        new Secondary(
            1L << 30, 1L << 30, Duration.ofSeconds(10), 64L << 20, Duration.ofSeconds(30)),
        new Replication(
            64L << 20,
            65_536,
            Duration.ofSeconds(30),
            Duration.ofMillis(500),
            Duration.ofSeconds(5),
            Duration.ofSeconds(2),
            Duration.ofMillis(100),
            Duration.ofSeconds(2)),
        new Resync(256 << 10, 8, 4L << 20),
        FaultPoint.NONE,
        HostBoot.current());
  }

  public VolumeSettings withFaults(FaultPoint f) {
    return edit(d -> d.faults = f);
  }

  /**
   * Whether a commit may leave its files to the page cache (fsynced in the background, like
   * writes): the flush policy is not {@code FSYNC} and the host's boot is known.
   */
  public boolean commitsWriteBehind() {
    return flushPolicy != FlushPolicy.FSYNC && hostBoot != null;
  }

  public VolumeSettings withHostBoot(String boot) {
    return edit(d -> d.hostBoot = boot);
  }

  public VolumeSettings withFlushPolicy(FlushPolicy p) {
    return edit(d -> d.flushPolicy = p);
  }

  public VolumeSettings withSecondary(Secondary s) {
    return edit(d -> d.secondary = s);
  }

  public VolumeSettings withReplication(Replication r) {
    return edit(d -> d.replication = r);
  }

  public VolumeSettings withResync(Resync r) {
    return edit(d -> d.resync = r);
  }

  /**
   * This configuration with {@code change} made to a draft of it: the one place that copies every
   * field, so that each wither names only what it changes.
   */
  private VolumeSettings edit(Consumer<Draft> change) {
    Draft d = new Draft();
    change.accept(d);
    return d.settings();
  }

  /** A configuration's fields, open to change while a wither builds the next value. */
  private final class Draft {
    FlushPolicy flushPolicy = VolumeSettings.this.flushPolicy;
    Duration flushInterval = VolumeSettings.this.flushInterval;
    int maxRequest = VolumeSettings.this.maxRequest;
    int maxFrame = VolumeSettings.this.maxFrame;
    Secondary secondary = VolumeSettings.this.secondary;
    Replication replication = VolumeSettings.this.replication;
    Resync resync = VolumeSettings.this.resync;
    FaultPoint faults = VolumeSettings.this.faults;
    String hostBoot = VolumeSettings.this.hostBoot;

    VolumeSettings settings() {
      return new VolumeSettings(
          flushPolicy,
          flushInterval,
          maxRequest,
          maxFrame,
          secondary,
          replication,
          resync,
          faults,
          hostBoot);
    }
  }
}
