package dev.coloha.proxy.config;

import static dev.coloha.web.settings.SettingCheck.atLeast;
import static dev.coloha.web.settings.SettingCheck.intBytes;
import static dev.coloha.web.settings.SettingCheck.notAbove;
import static dev.coloha.web.settings.SettingCheck.notNegative;
import static dev.coloha.web.settings.SettingCheck.positive;

import dev.coloha.proxy.group.ProxySettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the packet proxy ({@code colo.proxy.*}); every limit has a name here. See
 * docs/configuration.md and docs/proxy.md.
 *
 * @param limits buffers and counts; a group may override the per-group ones
 * @param compare output comparison
 * @param forensics mismatch forensics
 * @param stream the agents' input and output streams
 * @param events the coordinator's event stream
 * @param client client sockets
 * @param selfCheckpoint checkpoints the proxy asks of a primary itself when no coordinator decides
 * @param standby the warm standby of a proxy pair
 * @param testing fault injection for tests (nothing armed by default)
 */
@ConfigurationProperties("colo.proxy")
public record ProxyProperties(
    @DefaultValue Limits limits,
    @DefaultValue Compare compare,
    @DefaultValue Forensics forensics,
    @DefaultValue Stream stream,
    @DefaultValue Events events,
    @DefaultValue Client client,
    @DefaultValue SelfCheckpoint selfCheckpoint,
    @DefaultValue Standby standby,
    @DefaultValue Testing testing) {

  /**
   * @param maxGroups protected services per proxy
   * @param maxConnections client connections per group (the listener stops accepting above it)
   * @param heldPerConnection output buffered for one connection (the primary's held bytes plus the
   *     secondary's kept bytes) above which the proxy stops reading that client and asks for a
   *     checkpoint
   * @param heldPerGroup the same over the whole group: every client of the group is paused
   * @param retainedInputPerConnection client input kept since the last commit's consumed offset,
   *     per connection, above which the proxy stops reading that client and asks for a checkpoint
   * @param retainedInputPerGroup the same over the whole group
   * @param clientBuffer released output queued for a slow client above which the proxy stops
   *     reading that client
   * @param maxBufferedOutput output buffered for the group above which the proxy stops reading the
   *     agents' output streams (the agents then stop their guests' input)
   */
  public record Limits(
      @DefaultValue("64") int maxGroups,
      @DefaultValue("10000") int maxConnections,
      @DefaultValue("4MB") DataSize heldPerConnection,
      @DefaultValue("64MB") DataSize heldPerGroup,
      @DefaultValue("4MB") DataSize retainedInputPerConnection,
      @DefaultValue("64MB") DataSize retainedInputPerGroup,
      @DefaultValue("1MB") DataSize clientBuffer,
      @DefaultValue("256MB") DataSize maxBufferedOutput) {}

  /**
   * @param timeout how long one replica's output may stay ahead of the other's before a TIMEOUT
   *     mismatch asks for a checkpoint
   * @param sampleSize bytes of each replica's output in a mismatch event
   * @param commitWait how long output may wait while a checkpoint is under way (the primary has
   *     moved past the compared interval and its commit has not come) before a TIMEOUT mismatch;
   *     never less than the group's compare timeout
   */
  public record Compare(
      @DefaultValue("2s") Duration timeout,
      @DefaultValue("64B") DataSize sampleSize,
      @DefaultValue("1s") Duration commitWait) {}

  /**
   * @param window bytes kept on each side of a divergence (before it, and of each replica after it)
   *     for the mismatch's .pcap; 0 switches forensics off
   * @param history mismatches kept per group (oldest dropped first)
   */
  public record Forensics(@DefaultValue("4KB") DataSize window, @DefaultValue("256") int history) {}

  /**
   * @param connectTimeout TCP connect timeout to an agent
   * @param readTimeout longest silence tolerated on an agent's output stream (it sends heartbeats)
   * @param heartbeatInterval heartbeat period on idle input streams
   * @param maxFrame largest frame accepted on an output stream
   */
  public record Stream(
      @DefaultValue("5s") Duration connectTimeout,
      @DefaultValue("10s") Duration readTimeout,
      @DefaultValue("500ms") Duration heartbeatInterval,
      @DefaultValue("2MB") DataSize maxFrame) {}

  /**
   * @param heartbeatInterval a heartbeat line on an idle event stream this often
   * @param history events kept per group for subscribers that reconnect with {@code since}
   * @param subscriberBuffer events queued for one slow subscriber before it is disconnected
   */
  public record Events(
      @DefaultValue("1s") Duration heartbeatInterval,
      @DefaultValue("1024") int history,
      @DefaultValue("4096") int subscriberBuffer) {}

  /**
   * @param readBuffer bytes read from a client socket at a time (one input DATA frame at most)
   * @param linger after a client closed its side, how long the proxy waits for further output of
   *     the replicas before it closes the socket
   * @param idleTimeout a connection on which no byte moved either way (nothing read from the
   *     client, nothing written to it, nothing queued) for this long is closed
   * @param firstReplyTimeout a connection that has not received the first byte of a reply this long
   *     after it was accepted is closed (a client that never completes its first request)
   * @param maxUnanswered connections of one group that have not yet received the first byte of a
   *     reply (its first request is not complete, or not answered yet); a new connection above it
   *     closes the oldest of them
   */
  public record Client(
      @DefaultValue("16KB") DataSize readBuffer,
      @DefaultValue("1s") Duration linger,
      @DefaultValue("10m") Duration idleTimeout,
      @DefaultValue("60s") Duration firstReplyTimeout,
      @DefaultValue("1000") int maxUnanswered) {}

  /**
   * The checkpoint the proxy asks of a group's primary itself when output waits for one and no
   * coordinator decides it (docs/proxy.md "Self-checkpoints"). Fenced by the group's epoch at the
   * agent, committed like a coordinator's commit.
   *
   * @param enabled whether the proxy takes self-checkpoints at all
   * @param after how long a checkpoint request (mismatch, pressure) may wait while no coordinator
   *     follows the group's event stream
   * @param coordinatorGrace how long it may wait while a coordinator follows the stream (it is
   *     expected to checkpoint; one that is frozen or cut off from the agents does not)
   * @param minInterval at most one self-checkpoint per group this often
   * @param maxBackoff a failed self-checkpoint is tried again after min-interval, doubled per
   *     failure in a row up to this
   * @param timeout the longest wait for the agent's answer to one checkpoint call
   */
  public record SelfCheckpoint(
      @DefaultValue("true") boolean enabled,
      @DefaultValue("300ms") Duration after,
      @DefaultValue("500ms") Duration coordinatorGrace,
      @DefaultValue("100ms") Duration minInterval,
      @DefaultValue("5s") Duration maxBackoff,
      @DefaultValue("5s") Duration timeout) {}

  /**
   * A warm standby pair (docs/proxy.md "Warm standby"): two proxies on one host name the same lock
   * file; the one that holds an exclusive OS lock on it is active (beats to the coordinator, is
   * given the groups), the other starts its API but stays standby until the lock is free, which the
   * kernel makes it the instant the holder dies.
   *
   * @param lockFile the pair's lock file (created if missing; on a local file system both proxies
   *     see); none: the proxy is active from the start, without a standby
   */
  public record Standby(Path lockFile) {
    public Standby {
      if (lockFile != null && (lockFile.toString().isBlank() || Files.isDirectory(lockFile))) {
        throw new IllegalArgumentException(
            "colo.proxy.standby.lock-file must name a file, not '" + lockFile + "'");
      }
    }
  }

  /**
   * @param faults fault points armed for tests ({@code stream-break@VM}: a replica's output stream
   *     breaks at its next frame; {@code commit@GROUP}: the group's next commit fails before it is
   *     applied); each fires once. Never set in production
   */
  public record Testing(List<String> faults) {
    public Testing {
      faults = faults == null ? List.of() : List.copyOf(faults);
    }
  }

  private static final String P = "colo.proxy.";

  /**
   * The groups' settings, checked: a value that cannot work fails the start naming its property.
   *
   * @throws dev.coloha.web.settings.InvalidSettingException naming the property
   */
  public ProxySettings toSettings() {
    String pl = P + "limits.";
    positive(pl + "held-per-connection", limits.heldPerConnection());
    positive(pl + "held-per-group", limits.heldPerGroup());
    positive(pl + "retained-input-per-connection", limits.retainedInputPerConnection());
    positive(pl + "retained-input-per-group", limits.retainedInputPerGroup());
    atLeast(pl + "max-connections", limits.maxConnections(), 1);
    String pc = P + "client.";
    String ps = P + "self-checkpoint.";
    notAbove(
        ps + "min-interval",
        selfCheckpoint.minInterval(),
        positive(ps + "min-interval", selfCheckpoint.minInterval()).toNanos(),
        ps + "max-backoff",
        positive(ps + "max-backoff", selfCheckpoint.maxBackoff()).toNanos());
    return new ProxySettings(
        new ProxySettings.Limits(
            atLeast(pl + "max-groups", limits.maxGroups(), 1),
            positive(pl + "client-buffer", limits.clientBuffer()),
            positive(pl + "max-buffered-output", limits.maxBufferedOutput())),
        new ProxySettings.Compare(
            positive(P + "compare.timeout", compare.timeout()),
            intBytes(P + "compare.sample-size", compare.sampleSize()),
            positive(P + "compare.commit-wait", compare.commitWait())),
        new ProxySettings.Forensics(
            notNegative(P + "forensics.window", forensics.window()),
            atLeast(P + "forensics.history", forensics.history(), 0)),
        new ProxySettings.Stream(
            positive(P + "stream.connect-timeout", stream.connectTimeout()),
            positive(P + "stream.read-timeout", stream.readTimeout()),
            positive(P + "stream.heartbeat-interval", stream.heartbeatInterval()),
            intBytes(P + "stream.max-frame", stream.maxFrame())),
        new ProxySettings.Events(
            positive(P + "events.heartbeat-interval", events.heartbeatInterval()),
            atLeast(P + "events.history", events.history(), 1),
            atLeast(P + "events.subscriber-buffer", events.subscriberBuffer(), 1)),
        new ProxySettings.Client(
            intBytes(pc + "read-buffer", client.readBuffer()),
            notNegative(pc + "linger", client.linger()),
            positive(pc + "idle-timeout", client.idleTimeout()),
            positive(pc + "first-reply-timeout", client.firstReplyTimeout()),
            atLeast(pc + "max-unanswered", client.maxUnanswered(), 1)),
        new ProxySettings.SelfCheckpoint(
            selfCheckpoint.enabled(),
            notNegative(ps + "after", selfCheckpoint.after()),
            notNegative(ps + "coordinator-grace", selfCheckpoint.coordinatorGrace()),
            selfCheckpoint.minInterval(),
            selfCheckpoint.maxBackoff(),
            positive(ps + "timeout", selfCheckpoint.timeout())),
        new ProxySettings.Testing(testing.faults()));
  }
}
