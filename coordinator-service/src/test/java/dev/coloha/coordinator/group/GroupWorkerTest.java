package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.RemoteException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which failed checkpoints make the coordinator drop a secondary that it can still reach. */
class GroupWorkerTest {
  static final String PRIMARY = "http://10.0.0.1:7701";

  static RemoteException from(String url, String problem) {
    return new RemoteException(
        AgentClient.target(url), "POST /v1/vms/kv/checkpoint", 504, problem, "x", Map.of());
  }

  @Test
  void aPrimaryThatCannotReachItsSecondaryMeansTheSecondaryIsLost() {
    // a partition between the hosts: no ACK in time, or the link is down and reconnecting fails
    assertThat(GroupWorker.primaryCannotReachSecondary(from(PRIMARY, "timeout"), PRIMARY)).isTrue();
    assertThat(GroupWorker.primaryCannotReachSecondary(from(PRIMARY, "unavailable"), PRIMARY))
        .isTrue();
  }

  @Test
  void otherFailuresAreNotAboutTheSecondary() {
    // another service's answer, the primary's own problem, or no answer at all (then the primary
    // is suspected and probed instead)
    assertThat(
            GroupWorker.primaryCannotReachSecondary(
                from("http://10.0.0.2:7701", "timeout"), PRIMARY))
        .isFalse();
    assertThat(GroupWorker.primaryCannotReachSecondary(from(PRIMARY, "vm-state"), PRIMARY))
        .isFalse();
    assertThat(GroupWorker.primaryCannotReachSecondary(from(PRIMARY, "stale-epoch"), PRIMARY))
        .isFalse();
    assertThat(
            GroupWorker.primaryCannotReachSecondary(
                new dev.coloha.coordinator.remote.UnreachableException(
                    AgentClient.target(PRIMARY), "POST", new java.io.IOException("timed out")),
                PRIMARY))
        .isFalse();
  }
}
