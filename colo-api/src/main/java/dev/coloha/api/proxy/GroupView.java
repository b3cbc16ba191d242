package dev.coloha.api.proxy;

import java.time.Duration;

/**
 * A group as the proxy's API shows it ({@code GET /v1/groups}, {@code GET /v1/groups/{group}} and
 * the answers of {@code PUT} and failover).
 *
 * @param state PROTECTED (two replicas compared), CONNECTING (a stream is not up yet), DEGRADED (a
 *     replica's stream broke: the coordinator must fail over or reconfigure), UNPROTECTED (COLO
 *     without a secondary, e.g. after a failover) or PASSTHROUGH
 * @param listen the address clients connect to
 */
public record GroupView(
    String name,
    long epoch,
    String mode,
    String state,
    String listen,
    Replica primary,
    Replica secondary,
    Duration compareTimeout,
    GroupLimits limits,
    Counters counters) {

  /**
   * @param outputConnected whether its output stream is up
   * @param broken why a stream of it broke (null if none did)
   */
  public record Replica(String agentUrl, String vm, boolean outputConnected, String broken) {}

  /**
   * Figures since the group was created.
   *
   * @param eventSubscribers subscribers of the event stream now (the coordinator, or none)
   * @param selfCheckpoints checkpoints the proxy asked of the primary itself and committed
   * @param selfCheckpointFailures self-checkpoints that failed (the output stayed held)
   */
  public record Counters(
      int connections,
      long committedSequence,
      long compareInterval,
      long heldPrimaryBytes,
      long keptSecondaryBytes,
      long comparedBytes,
      long releasedMatchedBytes,
      long releasedCommittedBytes,
      long releasedSingleBytes,
      long droppedSecondaryBytes,
      long retainedInputBytes,
      long mismatches,
      long lastEventId,
      int eventSubscribers,
      long selfCheckpoints,
      long selfCheckpointFailures) {}
}
