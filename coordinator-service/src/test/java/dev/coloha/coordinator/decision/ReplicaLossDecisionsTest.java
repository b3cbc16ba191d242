package dev.coloha.coordinator.decision;

import static dev.coloha.coordinator.decision.DecisionRows.PROTECTED;
import static dev.coloha.coordinator.decision.DecisionRows.P_URL;
import static dev.coloha.coordinator.decision.DecisionRows.S_URL;
import static dev.coloha.coordinator.decision.DecisionRows.alone;
import static dev.coloha.coordinator.decision.DecisionRows.assertDecided;
import static dev.coloha.coordinator.decision.DecisionRows.failed;
import static dev.coloha.coordinator.decision.DecisionRows.in;
import static dev.coloha.coordinator.decision.DecisionRows.row;

import dev.coloha.coordinator.decision.Action.BothLost;
import dev.coloha.coordinator.decision.Action.DropSecondary;
import dev.coloha.coordinator.decision.Action.FailOver;
import dev.coloha.coordinator.decision.Action.Probe;
import dev.coloha.coordinator.decision.DecisionRows.Row;
import dev.coloha.coordinator.decision.Signal.CheckpointFailed;
import dev.coloha.coordinator.decision.Signal.HostLost;
import dev.coloha.coordinator.decision.Signal.HostSilent;
import dev.coloha.coordinator.decision.Signal.ProbeFailed;
import dev.coloha.coordinator.decision.Signal.PromotionFailed;
import dev.coloha.coordinator.decision.Signal.StreamBroken;
import dev.coloha.coordinator.model.GroupState;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decisions on a replica lost (its stream broken, its host silent or lost, a probe or a
 * promotion failed): one row per line of the transition table in docs/coordinator.md ("Decisions"),
 * the situation, the signal, the actions decided and the next situation ({@link DecisionRows}).
 * Pure: no process, no clock, no I/O.
 */
class ReplicaLossDecisionsTest {
  static Stream<Named<Row>> rows() {
    Situation prot = Situation.of(PROTECTED);
    CheckpointFailed unknown = failed(Cause.UNKNOWN, "vm-state");
    return Stream.of(
        row(
            "stream to the primary broken: fail over",
            prot,
            new StreamBroken(P_URL, "kv", "eof"),
            new FailOver("the proxy lost the primary: eof", false)),
        row(
            "stream to the secondary broken: drop it",
            prot,
            new StreamBroken(S_URL, "kv", "eof"),
            new DropSecondary("the proxy lost the secondary: eof", false)),
        row("stream of an unknown VM broken: nothing", prot, new StreamBroken(S_URL, "old", "eof")),
        row(
            "primary lost while UNSERVED with a secondary: fail over",
            in(GroupState.UNSERVED),
            new StreamBroken(P_URL, "kv", "eof"),
            new FailOver("the proxy lost the primary: eof", false)),
        row(
            "lone primary lost: both lost",
            alone(GroupState.DEGRADED),
            new StreamBroken(P_URL, "kv", "eof"),
            new BothLost("the proxy lost the primary: eof")),
        row(
            "secondary lost while it is being promoted: both lost",
            in(GroupState.FAILING_OVER),
            new StreamBroken(S_URL, "kv", "eof"),
            new BothLost("the proxy lost the secondary: eof; the primary was lost already: why")),
        row(
            "primary lost while FAILED: nothing",
            alone(GroupState.FAILED),
            new StreamBroken(P_URL, "kv", "eof")),
        row(
            "anything lost while RESTARTING: nothing",
            in(GroupState.RESTARTING),
            new StreamBroken(P_URL, "kv", "eof")),
        row(
            "host silent: probe",
            prot,
            new HostSilent(Role.PRIMARY, "no heartbeat"),
            new Probe(Role.PRIMARY, "no heartbeat")),
        row(
            "host of no secondary silent: nothing",
            alone(GroupState.DEGRADED),
            new HostSilent(Role.SECONDARY, "x")),
        row(
            "host silent while RESTARTING: nothing",
            in(GroupState.RESTARTING),
            new HostSilent(Role.PRIMARY, "x")),
        row(
            "primary's host lost: fail over",
            prot,
            new HostLost("h1", "declared"),
            new FailOver("primary on h1 lost: declared", false)),
        row(
            "secondary's host lost: drop it",
            prot,
            new HostLost("h2", "declared"),
            new DropSecondary("secondary on h2 lost: declared", false)),
        row("another host lost: nothing", prot, new HostLost("h9", "declared")),
        row(
            "probe failed on the secondary: drop it",
            prot,
            new ProbeFailed(Role.SECONDARY, "gone"),
            new DropSecondary("gone", false)),
        row(
            "promotion failed, the secondary gone too: both lost",
            in(GroupState.FAILING_OVER),
            new PromotionFailed("both"),
            new BothLost("both")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void decides(Row row) {
    assertDecided(row);
  }
}
