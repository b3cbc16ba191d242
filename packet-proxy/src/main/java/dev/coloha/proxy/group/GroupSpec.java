package dev.coloha.proxy.group;

import dev.coloha.api.proxy.GroupLimits;
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
 * @param resume for a group this proxy creates while its replicas already serve it (the proxy was
 *     restarted): the connections the replicas still have, to end, and the first connection id to
 *     give a client; null for a new service
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
    Commit sync,
    Resume resume) {

  /** This specification listening on {@code port} (the one picked for port 0). */
  public GroupSpec withPort(int port) {
    return new GroupSpec(
        name,
        epoch,
        bindAddress,
        port,
        mode,
        primary,
        secondary,
        compareTimeout,
        limits,
        sync,
        resume);
  }

  /**
   * A proxy serves a running service anew (it was restarted and lost its clients): the replicas end
   * the connections it lost, as a client reset would, and new clients get ids above every id they
   * know.
   *
   * @param nextConnection the first connection id to give a client
   * @param lostConnections the connections to end on the replicas, with the input offset at which
   *     each ends
   */
  public record Resume(int nextConnection, java.util.Map<Integer, Long> lostConnections) {
    public Resume {
      if (nextConnection < 1) {
        throw new IllegalArgumentException("resume.nextConnection must be at least 1");
      }
      lostConnections = java.util.Map.copyOf(lostConnections);
    }
  }

  /** How a group treats its replicas. */
  public enum Mode {
    COLO,
    PASSTHROUGH
  }
}
