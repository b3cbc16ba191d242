package dev.coloha.coordinator.model;

import java.time.Duration;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How a group is protected.
 *
 * @param minInterval checkpoints at most this often (rate limit; requests in between coalesce)
 * @param maxInterval a checkpoint at least this often, mismatch or not
 * @param compareTimeout one replica ahead of the other for longer than this is a mismatch (proxy)
 * @param heartbeatInterval how often the group's hosts are checked
 * @param missedBeats heartbeats a primary may miss before it is probed and, if silent, failed over
 */
public record Policy(
    @DefaultValue("20ms") Duration minInterval,
    @DefaultValue("5s") Duration maxInterval,
    @DefaultValue("100ms") Duration compareTimeout,
    @DefaultValue("250ms") Duration heartbeatInterval,
    @DefaultValue("4") int missedBeats) {

  public Policy {
    if (minInterval.isNegative() || maxInterval.compareTo(minInterval) < 0) {
      throw new IllegalArgumentException("need 0 <= min-interval <= max-interval");
    }
    if (compareTimeout.isNegative() || compareTimeout.isZero()) {
      throw new IllegalArgumentException("compare-timeout must be positive");
    }
    if (heartbeatInterval.toMillis() < 10 || missedBeats < 1) {
      throw new IllegalArgumentException(
          "heartbeat-interval must be at least 10 ms, missed-beats at least 1");
    }
  }

  /** Silence after which a host is suspected. */
  public Duration suspectAfter() {
    return heartbeatInterval.multipliedBy(missedBeats);
  }
}
