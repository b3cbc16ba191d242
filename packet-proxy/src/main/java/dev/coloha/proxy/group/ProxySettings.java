package dev.coloha.proxy.group;

import java.time.Duration;
import java.util.List;

/**
 * What the proxy's groups run with, in the domain's units (bytes, counts, durations): mapped from
 * {@code colo.proxy.*} and checked once at start-up ({@code ProxyProperties.toSettings()}); the
 * meaning of each is in docs/configuration.md. The per-group limits a group may override are its
 * {@link dev.coloha.api.proxy.GroupLimits}.
 */
public record ProxySettings(
    Limits limits,
    Compare compare,
    Forensics forensics,
    Stream stream,
    Events events,
    Client client,
    SelfCheckpoint selfCheckpoint,
    Testing testing) {

  /** The proxy-wide limits ({@code colo.proxy.limits.*}). */
  public record Limits(int maxGroups, long clientBuffer, long maxBufferedOutput) {}

  /** Output comparison ({@code colo.proxy.compare.*}). */
  public record Compare(Duration timeout, long sampleSize, Duration commitWait) {}

  /** Mismatch forensics ({@code colo.proxy.forensics.*}); a window of 0 switches them off. */
  public record Forensics(long window, int history) {}

  /** The agents' streams ({@code colo.proxy.stream.*}). */
  public record Stream(
      Duration connectTimeout, Duration readTimeout, Duration heartbeatInterval, long maxFrame) {}

  /** The coordinator's event stream ({@code colo.proxy.events.*}). */
  public record Events(Duration heartbeatInterval, int history, int subscriberBuffer) {}

  /** Client sockets ({@code colo.proxy.client.*}). */
  public record Client(
      long readBuffer,
      Duration linger,
      Duration idleTimeout,
      Duration firstReplyTimeout,
      int maxUnanswered) {}

  /** Checkpoints the proxy asks of a primary itself ({@code colo.proxy.self-checkpoint.*}). */
  public record SelfCheckpoint(
      boolean enabled,
      Duration after,
      Duration coordinatorGrace,
      Duration minInterval,
      Duration maxBackoff,
      Duration timeout) {}

  /** Fault points armed for tests ({@code colo.proxy.testing.faults}). */
  public record Testing(List<String> faults) {
    public Testing {
      faults = faults == null ? List.of() : List.copyOf(faults);
    }
  }
}
