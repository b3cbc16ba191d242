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
 * @param diskEpoch the epoch its disk volumes work in: the group epoch of the last failover (0
 *     before any). Re-protection and a lost secondary start a new group epoch but leave the disk
 *     epoch alone, so that the primary's volume stream, opened in this epoch, stays valid
 *     (docs/adr/0001-epochs.md)
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
    String reason,
    long diskEpoch,
    Instant since) {

  public Group {
    orphans = orphans == null ? List.of() : List.copyOf(orphans);
    counters = counters == null ? Counters.zero() : counters;
  }

  /** A group whose state's start is not known yet (stamped when it is persisted). */
  public Group(
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
      String reason,
      long diskEpoch) {
    this(
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
        orphans,
        reason,
        diskEpoch,
        null);
  }

  /** The same group, its state begun at {@code at}. */
  public Group withSince(Instant at) {
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
        orphans,
        reason,
        diskEpoch,
        at);
  }

  public String id() {
    return spec.id();
  }

  /**
   * In state {@code s} for reason {@code why}; a new state begins when it is persisted ({@link
   * #since()}).
   */
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
        why,
        diskEpoch,
        s == state ? since : null);
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
        reason,
        diskEpoch,
        since);
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
        reason,
        diskEpoch,
        since);
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
        reason,
        diskEpoch,
        since);
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
        reason,
        diskEpoch,
        since);
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
        reason,
        diskEpoch,
        since);
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
        reason,
        diskEpoch,
        since);
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
        reason,
        diskEpoch,
        since);
  }

  public Group withDiskEpoch(long e) {
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
        orphans,
        reason,
        e,
        since);
  }

  /** Hosts of its current replicas. */
  public List<String> hosts() {
    return java.util.stream.Stream.of(primary, secondary)
        .filter(r -> r != null)
        .map(Replica::host)
        .toList();
  }
}
