package dev.coloha.proxy.group;

import dev.coloha.wire.GroupConflictException;
import dev.coloha.wire.StaleEpochException;

/**
 * A failover, checked completely before anything changes: {@link #plan} refuses it or says which
 * kind it is. Pure: no locks, no I/O.
 *
 * @param kind what happens to the replicas
 * @param epoch the group's new epoch
 * @param target the only replica from {@code epoch} on
 */
record FailoverPlan(Kind kind, long epoch, ReplicaRef target) {
  /** What a failover does to the replicas. */
  enum Kind {
    /** The group already failed over to this replica in this epoch: nothing to do. */
    REPEATED,
    /** The usual case: the secondary's streams carry on, no byte in flight is lost. */
    TO_SECONDARY,
    /** The secondary is dropped, the primary goes on alone. */
    TO_PRIMARY,
    /** Another VM: new streams, the open connections are reset (it never saw them). */
    TO_OTHER_VM
  }

  /**
   * @param current the group's specification
   * @param primary the current primary
   * @param secondary the current secondary, or null
   * @throws StaleEpochException for an epoch below the group's
   * @throws GroupConflictException for the group's own epoch (unless repeated)
   */
  static FailoverPlan plan(
      GroupSpec current, ReplicaRef primary, ReplicaRef secondary, long epoch, ReplicaRef target) {
    if (epoch < current.epoch()) {
      throw new StaleEpochException(current.epoch(), epoch);
    }
    if (epoch == current.epoch()) {
      if (target.equals(primary) && secondary == null) {
        return new FailoverPlan(Kind.REPEATED, epoch, target);
      }
      throw new GroupConflictException("a failover needs an epoch above " + current.epoch());
    }
    Kind kind =
        secondary != null && target.equals(secondary)
            ? Kind.TO_SECONDARY
            : target.equals(primary) ? Kind.TO_PRIMARY : Kind.TO_OTHER_VM;
    return new FailoverPlan(kind, epoch, target);
  }

  /** The group's specification after the failover: one replica, nothing to sync or resume. */
  GroupSpec apply(GroupSpec s) {
    return new GroupSpec(
        s.name(),
        epoch,
        s.bindAddress(),
        s.port(),
        s.mode(),
        target,
        null,
        s.compareTimeout(),
        s.limits(),
        null,
        null);
  }
}
