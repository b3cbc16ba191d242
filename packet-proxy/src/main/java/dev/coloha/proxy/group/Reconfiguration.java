package dev.coloha.proxy.group;

import dev.coloha.wire.GroupConflictException;
import dev.coloha.wire.StaleEpochException;
import java.util.Objects;

/**
 * A {@code PUT} of an existing group, checked completely before anything changes: {@link #plan}
 * refuses it (an exception, the group untouched) or says what to do, and only then does the group
 * apply it. Pure: no locks, no I/O.
 *
 * @param repeated the group already is what was asked for (same epoch): nothing to do
 * @param next the group's specification once applied
 * @param dropSecondary the current secondary goes
 * @param attach a secondary that joins (with {@code next.sync()}), or null
 */
record Reconfiguration(boolean repeated, GroupSpec next, boolean dropSecondary, ReplicaRef attach) {

  /**
   * @param current the group's specification
   * @param primary the current primary
   * @param secondary the current secondary, or null
   * @param asked the specification asked for
   * @throws StaleEpochException for an epoch below the group's
   * @throws GroupConflictException for what a reconfiguration cannot change, a changed same epoch,
   *     or a secondary to attach without the checkpoint that synced it
   */
  static Reconfiguration plan(
      GroupSpec current, ReplicaRef primary, ReplicaRef secondary, GroupSpec asked) {
    if (asked.epoch() < current.epoch()) {
      throw new StaleEpochException(current.epoch(), asked.epoch());
    }
    if (!asked.bindAddress().equals(current.bindAddress())
        || (asked.port() != 0 && asked.port() != current.port())) {
      throw new GroupConflictException(
          "a group's listen address cannot change; delete and create it again");
    }
    if (!asked.primary().equals(primary)) {
      throw new GroupConflictException("the primary is " + primary + "; change it with a failover");
    }
    ReplicaRef wanted = asked.mode() == GroupSpec.Mode.COLO ? asked.secondary() : null;
    boolean same = Objects.equals(wanted, secondary);
    if (asked.epoch() == current.epoch()) {
      if (same
          && asked.mode() == current.mode()
          && asked.limits().equals(current.limits())
          && asked.compareTimeout().equals(current.compareTimeout())) {
        return new Reconfiguration(true, current, false, null);
      }
      throw new GroupConflictException("a reconfiguration needs an epoch above " + current.epoch());
    }
    if (!same && wanted != null && asked.sync() == null) {
      throw new GroupConflictException(
          "sync", "attaching a secondary needs the checkpoint that synced it");
    }
    GroupSpec next =
        new GroupSpec(
            current.name(),
            asked.epoch(),
            current.bindAddress(),
            current.port(),
            asked.mode(),
            asked.primary(),
            wanted,
            asked.compareTimeout(),
            asked.limits(),
            asked.sync(),
            null);
    return new Reconfiguration(false, next, !same && secondary != null, same ? null : wanted);
  }
}
