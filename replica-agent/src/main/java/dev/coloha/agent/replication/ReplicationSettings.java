package dev.coloha.agent.replication;

import java.time.Duration;
import java.util.List;

/**
 * What a VM's checkpoint link runs with ({@code colo.agent.replication.*} and the fault points of
 * {@code colo.agent.testing.link-faults}), mapped and checked once at start-up ({@code
 * AgentProperties.replicationSettings()}); the meaning of each is in docs/configuration.md.
 */
public record ReplicationSettings(
    Duration checkpointTimeout,
    Duration syncTimeout,
    Duration connectTimeout,
    Duration streamReadTimeout,
    Duration heartbeatInterval,
    int precopyMaxRounds,
    int precopyThresholdPages,
    int precopyBatchPages,
    List<String> linkFaults) {
  public ReplicationSettings {
    linkFaults = linkFaults == null ? List.of() : List.copyOf(linkFaults);
  }
}
