package dev.coloha.coordinator.model;

import java.time.Instant;
import java.util.List;

/**
 * A protected service: its spec, policy, state, epoch and replicas. Immutable; every change is a
 * new value, persisted before it is acted upon (in particular the epoch: fencing).
 *
 * @param spec what was asked for
 * @param policy checkpoint and failure-detection policy
 * @param state where it stands
 * @param epoch fencing epoch: one primary per epoch; increases at every failover
 * @param primary the replica that runs the service, or null while none does
 * @param secondary the replica that follows it, or null
 * @param proxyUrl the proxy serving its clients
 * @param lastCheckpoint the last committed checkpoint, -1 if none
 * @param lastCheckpointAt when it was committed
 * @param counters totals
 * @param orphans replicas of earlier epochs to delete when their hosts answer again
 * @param reason why the group is not PROTECTED, or null
 */
public record Group(
    GroupSpec spec,
    Policy policy,
    GroupState state,
    long epoch,
    Replica primary,
    Replica secondary,
    String proxyUrl,
    long lastCheckpoint,
    Instant lastCheckpointAt,
    Counters counters,
    List<Replica> orphans,
    String reason) {

  public Group {
    orphans = orphans == null ? List.of() : List.copyOf(orphans);
    counters = counters == null ? Counters.zero() : counters;
  }

  public String id() {
    return spec.id();
  }

  public Group with(GroupState s, String why) {
    return new Group(
        spec,
        policy,
        s,
        epoch,
        primary,
        secondary,
        proxyUrl,
        lastCheckpoint,
        lastCheckpointAt,
        counters,
        orphans,
        why);
  }

  public Group withEpoch(long e) {
    return new Group(
        spec,
        policy,
        state,
        e,
        primary,
        secondary,
        proxyUrl,
        lastCheckpoint,
        lastCheckpointAt,
        counters,
        orphans,
        reason);
  }

  public Group withReplicas(Replica p, Replica s) {
    return new Group(
        spec,
        policy,
        state,
        epoch,
        p,
        s,
        proxyUrl,
        lastCheckpoint,
        lastCheckpointAt,
        counters,
        orphans,
        reason);
  }

  public Group withProxy(String url) {
    return new Group(
        spec,
        policy,
        state,
        epoch,
        primary,
        secondary,
        url,
        lastCheckpoint,
        lastCheckpointAt,
        counters,
        orphans,
        reason);
  }

  public Group withCheckpoint(long sequence, Instant at) {
    return new Group(
        spec,
        policy,
        state,
        epoch,
        primary,
        secondary,
        proxyUrl,
        sequence,
        at,
        counters.checkpoint(),
        orphans,
        reason);
  }

  public Group withCounters(Counters c) {
    return new Group(
        spec,
        policy,
        state,
        epoch,
        primary,
        secondary,
        proxyUrl,
        lastCheckpoint,
        lastCheckpointAt,
        c,
        orphans,
        reason);
  }

  public Group withPolicy(Policy p) {
    return new Group(
        spec,
        p,
        state,
        epoch,
        primary,
        secondary,
        proxyUrl,
        lastCheckpoint,
        lastCheckpointAt,
        counters,
        orphans,
        reason);
  }

  public Group withOrphans(List<Replica> o) {
    return new Group(
        spec,
        policy,
        state,
        epoch,
        primary,
        secondary,
        proxyUrl,
        lastCheckpoint,
        lastCheckpointAt,
        counters,
        o,
        reason);
  }

  /** Hosts of its current replicas. */
  public List<String> hosts() {
    return java.util.stream.Stream.of(primary, secondary)
        .filter(r -> r != null)
        .map(Replica::host)
        .toList();
  }
}
