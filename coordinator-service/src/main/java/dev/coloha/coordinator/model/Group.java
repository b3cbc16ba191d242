package dev.coloha.coordinator.model;

import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

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
 * @param since when the group entered its state, or null until it is persisted (stamped then)
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

  /**
   * A group just asked for, before any replica: {@code CREATING} in epoch 1 (its disk epoch too),
   * no proxy, no checkpoint, nothing counted; stamped when it is persisted.
   */
  public static Group creating(GroupSpec spec, Policy policy) {
    return new Group(
        spec,
        policy,
        GroupState.CREATING,
        1,
        null,
        null,
        null,
        -1,
        null,
        Counters.zero(),
        List.of(),
        "creating",
        1,
        null);
  }

  /** The same group, its state begun at {@code at}. */
  public Group withSince(Instant at) {
    return edit(d -> d.since = at);
  }

  public String id() {
    return spec.id();
  }

  /**
   * In state {@code s} for reason {@code why}; a new state begins when it is persisted ({@link
   * #since()}).
   */
  public Group with(GroupState s, String why) {
    return edit(
        d -> {
          d.state = s;
          d.reason = why;
          d.since = s == state ? since : null;
        });
  }

  public Group withEpoch(long e) {
    return edit(d -> d.epoch = e);
  }

  public Group withReplicas(Replica p, Replica s) {
    return edit(
        d -> {
          d.primary = p;
          d.secondary = s;
        });
  }

  public Group withProxy(String url) {
    return edit(d -> d.proxyUrl = url);
  }

  public Group withCheckpoint(long sequence, Instant at) {
    return edit(
        d -> {
          d.lastCheckpoint = sequence;
          d.lastCheckpointAt = at;
          d.counters = counters.checkpoint();
        });
  }

  public Group withCounters(Counters c) {
    return edit(d -> d.counters = c);
  }

  public Group withPolicy(Policy p) {
    return edit(d -> d.policy = p);
  }

  public Group withOrphans(List<Replica> o) {
    return edit(d -> d.orphans = o);
  }

  public Group withDiskEpoch(long e) {
    return edit(d -> d.diskEpoch = e);
  }

  /**
   * This group with {@code change} made to a draft of it: the one place that copies every field, so
   * that each wither names only what it changes.
   */
  private Group edit(Consumer<Draft> change) {
    Draft d = new Draft();
    change.accept(d);
    return d.group();
  }

  /** A group's fields, open to change while a wither builds the next value. */
  private final class Draft {
    GroupSpec spec = Group.this.spec;
    Policy policy = Group.this.policy;
    GroupState state = Group.this.state;
    long epoch = Group.this.epoch;
    Replica primary = Group.this.primary;
    Replica secondary = Group.this.secondary;
    String proxyUrl = Group.this.proxyUrl;
    long lastCheckpoint = Group.this.lastCheckpoint;
    Instant lastCheckpointAt = Group.this.lastCheckpointAt;
    Counters counters = Group.this.counters;
    List<Replica> orphans = Group.this.orphans;
    String reason = Group.this.reason;
    long diskEpoch = Group.this.diskEpoch;
    Instant since = Group.this.since;

    Group group() {
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
          since);
    }
  }

  /** Hosts of its current replicas. */
  public List<String> hosts() {
    return java.util.stream.Stream.of(primary, secondary)
        .filter(r -> r != null)
        .map(Replica::host)
        .toList();
  }
}
