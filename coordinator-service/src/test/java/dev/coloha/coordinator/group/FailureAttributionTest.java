package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.group.FailureAttribution.Culprit;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.TestGroups;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.ProxyClient;
import dev.coloha.coordinator.remote.RemoteException;
import dev.coloha.coordinator.remote.UnreachableException;
import java.io.IOException;
import java.net.ConnectException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The fault matrix's detection column for a failed checkpoint: which component is blamed for which
 * answer (docs/coordinator.md).
 */
class FailureAttributionTest {
  private final Group g = TestGroups.group("kv", 7, GroupState.PROTECTED);
  private final String primary = AgentClient.target(g.primary().agentUrl());
  private final String proxy = ProxyClient.target(g.proxyUrl());

  private static RemoteException answer(String target, int status, String problem) {
    return new RemoteException(target, "POST /x", status, problem, "detail", Map.of());
  }

  private static UnreachableException noAnswer(String target) {
    return new UnreachableException(target, "POST /x", new ConnectException("refused"));
  }

  @Test
  void aProxyWithoutTheGroupNeedsItAgainAndIsNotALostSecondary() {
    assertThat(FailureAttribution.of(answer(proxy, 404, "group-not-found"), g))
        .isEqualTo(Culprit.PROXY_WITHOUT_GROUP);
  }

  @Test
  void aProxyThatDoesNotAnswerOrFailsIsDown() {
    assertThat(FailureAttribution.of(noAnswer(proxy), g)).isEqualTo(Culprit.PROXY_DOWN);
    assertThat(FailureAttribution.of(answer(proxy, 500, "http-500"), g))
        .isEqualTo(Culprit.PROXY_DOWN);
  }

  @Test
  void aPrimaryWhoseDiskFailsIsBlamedNotItsSecondary() {
    assertThat(FailureAttribution.of(answer(primary, 503, "disk-unavailable"), g))
        .isEqualTo(Culprit.PRIMARY_DISK);
  }

  @Test
  void aPrimaryThatCannotReachItsSecondaryBlamesTheSecondaryOrTheLink() {
    assertThat(FailureAttribution.of(answer(primary, 504, "timeout"), g))
        .isEqualTo(Culprit.SECONDARY);
    assertThat(FailureAttribution.of(answer(primary, 503, "unavailable"), g))
        .isEqualTo(Culprit.SECONDARY);
    assertThat(FailureAttribution.of(answer(primary, 409, "resync-required"), g))
        .isEqualTo(Culprit.SECONDARY);
  }

  @Test
  void aPrimaryAgentThatDoesNotAnswerIsSuspected() {
    assertThat(FailureAttribution.of(noAnswer(primary), g)).isEqualTo(Culprit.PRIMARY_AGENT);
  }

  @Test
  void otherAnswersBlameNobodyAtOnce() {
    assertThat(FailureAttribution.of(answer(primary, 409, "vm-state"), g))
        .isEqualTo(Culprit.UNKNOWN);
    assertThat(FailureAttribution.of(answer(proxy, 409, "stale-epoch"), g))
        .isEqualTo(Culprit.UNKNOWN);
    assertThat(
            FailureAttribution.of(
                new UnreachableException(
                    AgentClient.target("http://10.9.9.9:1"), "GET", new IOException("x")),
                g))
        .isEqualTo(Culprit.UNKNOWN);
  }
}
