package dev.coloha.coordinator.web;

import dev.coloha.coordinator.model.Counters;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.Replica;
import java.time.Instant;

/**
 * A group as the API shows it.
 *
 * @param id group id
 * @param guest guest name
 * @param state one of {@link dev.coloha.coordinator.model.GroupState} (docs/coordinator.md)
 * @param epoch fencing epoch
 * @param endpoint {@code address:port} where clients reach the service (the proxy)
 * @param primary the primary replica, or null
 * @param secondary the secondary replica, or null
 * @param lastCheckpoint last committed checkpoint, -1 if none
 * @param lastCheckpointAt when
 * @param counters totals
 * @param policy the policy in milliseconds
 * @param memoryBytes memory limit of each replica
 * @param diskBytes disk of each replica
 * @param reason why it is not PROTECTED, or null
 * @param network how its WASI program meets its clients: {@code listen} or {@code inetd}
 * @param appendfsync when the kv guest flushes its log: {@code always}, {@code everysec} or {@code
 *     no}
 */
public record GroupView(
    String id,
    String guest,
    String state,
    long epoch,
    String endpoint,
    Replica primary,
    Replica secondary,
    long lastCheckpoint,
    Instant lastCheckpointAt,
    Counters counters,
    GroupRequests.PolicyBody policy,
    long memoryBytes,
    long diskBytes,
    String reason,
    String network,
    String appendfsync) {

  static GroupView of(Group g) {
    var p = g.policy();
    return new GroupView(
        g.id(),
        g.spec().guest(),
        g.state().name(),
        g.epoch(),
        g.spec().bindAddress() + ":" + g.spec().port(),
        g.primary(),
        g.secondary(),
        g.lastCheckpoint(),
        g.lastCheckpointAt(),
        g.counters(),
        new GroupRequests.PolicyBody(
            p.minInterval().toMillis(),
            p.maxInterval().toMillis(),
            p.compareTimeout().toMillis(),
            p.heartbeatInterval().toMillis(),
            (int) p.missedBeats()),
        g.spec().memoryBytes(),
        g.spec().diskBytes(),
        g.reason(),
        g.spec().network(),
        g.spec().appendfsync());
  }
}
