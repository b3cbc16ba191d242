package dev.coloha.proxy.group;

import java.time.Duration;

/**
 * What a protected service should look like: the command behind {@code PUT /v1/groups/{group}}.
 *
 * @param name group name
 * @param epoch the group's epoch (fencing)
 * @param bindAddress listen address for clients
 * @param port listen port (0 picks a free one)
 * @param mode COLO (two replicas, compared) or PASSTHROUGH (one replica)
 * @param primary the primary replica
 * @param secondary the secondary replica (null in PASSTHROUGH mode or while unprotected)
 * @param compareTimeout how long one side may be ahead
 * @param limits buffer limits
 * @param sync the checkpoint that synced a newly attached secondary (re-protection), or null
 */
public record GroupSpec(
    String name,
    long epoch,
    String bindAddress,
    int port,
    Mode mode,
    ReplicaRef primary,
    ReplicaRef secondary,
    Duration compareTimeout,
    GroupLimits limits,
    Commit sync) {

  /** How a group treats its replicas. */
  public enum Mode {
    COLO,
    PASSTHROUGH
  }
}
