package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.decision.Cause;
import dev.coloha.coordinator.decision.CheckpointProblem;
import dev.coloha.coordinator.decision.GroupDecisions;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.TestGroups;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.RemoteException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which failed checkpoints make the coordinator drop a secondary that it can still reach; which
 * thread changes the group.
 */
class GroupWorkerTest {
  static final String PRIMARY = "http://127.0.0.1:1"; // TestGroups' primary

  /** What the decision machine makes of a failed checkpoint of a group whose primary is PRIMARY. */
  static boolean primaryCannotReachSecondary(RuntimeException e) {
    Group g = TestGroups.group("kv", 5, GroupState.PROTECTED);
    Cause cause = Cause.valueOf(FailureAttribution.of(e, g).name());
    CheckpointProblem problem =
        e instanceof RemoteException r
            ? CheckpointProblem.answered(r.problem())
            : CheckpointProblem.UNREACHABLE;
    return GroupDecisions.primaryCannotReachSecondary(cause, problem);
  }

  static RemoteException from(String url, String problem) {
    return new RemoteException(
        AgentClient.target(url), "POST /v1/vms/kv/checkpoint", 504, problem, "x", Map.of());
  }

  /**
   * A proxy event arrives on the event stream's thread while the worker may be in the middle of a
   * step (a re-protection that just configured the proxy, which then reports its first mismatch):
   * that thread must not write the group, or the worker's new epoch and state could be undone by a
   * copy of the group taken before them (the group went back to an old epoch, and the coordinator
   * re-protected it twice more).
   */
  @Test
  void aMismatchIsCountedByTheWorkerNotOnTheEventThread() {
    Group before = TestGroups.group("kv", 5, GroupState.PROTECTED);
    GroupWorker w =
        new GroupWorker(
            before,
            null,
            null,
            null,
            null,
            null,
            null,
            new CoordinatorMetrics(new SimpleMeterRegistry(), List::of),
            null,
            Clock.systemUTC(),
            () -> {});
    w.proxyEvent(ProxyEvents.mismatch());
    w.proxyEvent(ProxyEvents.heartbeat());
    w.proxyEvent(ProxyEvents.pressure());
    assertThat(w.group()).as("written by the event thread").isSameAs(before);

    w.handleWaiting();
    assertThat(w.group().counters().mismatches())
        .isEqualTo(before.counters().mismatches() + 1); // pressure is not a mismatch
    assertThat(w.group().epoch()).isEqualTo(5);
    assertThat(w.group().state()).isEqualTo(GroupState.PROTECTED);
  }

  @Test
  void aPrimaryThatCannotReachItsSecondaryMeansTheSecondaryIsLost() {
    // a partition between the hosts: no ACK in time, or the link is down and reconnecting fails
    assertThat(primaryCannotReachSecondary(from(PRIMARY, "timeout"))).isTrue();
    assertThat(primaryCannotReachSecondary(from(PRIMARY, "unavailable"))).isTrue();
  }

  @Test
  void otherFailuresAreNotAboutTheSecondary() {
    // another service's answer, the primary's own problem, or no answer at all (then the primary
    // is suspected and probed instead)
    assertThat(primaryCannotReachSecondary(from("http://127.0.0.1:2", "timeout"))).isFalse();
    assertThat(primaryCannotReachSecondary(from(PRIMARY, "vm-state"))).isFalse();
    assertThat(primaryCannotReachSecondary(from(PRIMARY, "stale-epoch"))).isFalse();
    assertThat(
            primaryCannotReachSecondary(
                new dev.coloha.coordinator.remote.UnreachableException(
                    AgentClient.target(PRIMARY), "POST", new java.io.IOException("timed out"))))
        .isFalse();
  }
}
