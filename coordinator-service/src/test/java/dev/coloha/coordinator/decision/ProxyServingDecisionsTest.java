package dev.coloha.coordinator.decision;

import static dev.coloha.coordinator.decision.DecisionRows.MOVED;
import static dev.coloha.coordinator.decision.DecisionRows.PROTECTED;
import static dev.coloha.coordinator.decision.DecisionRows.T;
import static dev.coloha.coordinator.decision.DecisionRows.assertDecided;
import static dev.coloha.coordinator.decision.DecisionRows.in;
import static dev.coloha.coordinator.decision.DecisionRows.row;

import dev.coloha.coordinator.decision.Action.Persist;
import dev.coloha.coordinator.decision.Action.ResetRestoreBackoff;
import dev.coloha.coordinator.decision.DecisionRows.Row;
import dev.coloha.coordinator.decision.Signal.ProxyMoved;
import dev.coloha.coordinator.decision.Signal.ProxyReRegistered;
import dev.coloha.coordinator.decision.Signal.ProxyRestored;
import dev.coloha.coordinator.decision.Signal.ProxyUnserved;
import dev.coloha.coordinator.model.GroupState;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decisions on the proxy serves the group or not (unserved, restored, moved, re-registered):
 * one row per line of the transition table in docs/coordinator.md ("Decisions"), the situation, the
 * signal, the actions decided and the next situation ({@link DecisionRows}). Pure: no process, no
 * clock, no I/O.
 */
class ProxyServingDecisionsTest {
  static Stream<Named<Row>> rows() {
    Situation prot = Situation.of(PROTECTED);
    return Stream.of(
        row(
            "proxy unserved: UNSERVED, persisted once, restore at once",
            prot,
            new ProxyUnserved("404", T, T),
            List.of(new Persist("proxy-lost-group", "404"), new ResetRestoreBackoff()),
            s -> s.withGroup(PROTECTED.with(GroupState.UNSERVED, "404")).withNextRestore(T)),
        row(
            "proxy unserved, seen before it was served again: stale",
            prot.withServedSince(T.plusSeconds(1)),
            new ProxyUnserved("404", T, T)),
        row(
            "proxy unserved while failing over: the failover tells it",
            in(GroupState.FAILING_OVER),
            new ProxyUnserved("404", T, T)),
        row(
            "proxy re-registered while UNSERVED: restore now",
            in(GroupState.UNSERVED),
            new ProxyReRegistered(PROTECTED.proxyUrl(), T),
            List.of(),
            s -> s.withNextRestore(T)),
        row(
            "another proxy beat: nothing",
            in(GroupState.UNSERVED),
            new ProxyReRegistered("http://x", T)),
        row(
            "proxy moved (its standby took over) while served: UNSERVED at the new address,"
                + " restore at once",
            prot,
            new ProxyMoved(PROTECTED.proxyUrl(), "http://standby", T),
            List.of(new Persist("proxy-moved", MOVED), new ResetRestoreBackoff()),
            s ->
                s.withGroup(PROTECTED.withProxy("http://standby").with(GroupState.UNSERVED, MOVED))
                    .withNextRestore(T)),
        row(
            "proxy moved while UNSERVED: the new address, restore now",
            in(GroupState.UNSERVED),
            new ProxyMoved(PROTECTED.proxyUrl(), "http://standby", T),
            List.of(new Persist("proxy-moved", MOVED), new ResetRestoreBackoff()),
            s -> s.withGroup(s.group().withProxy("http://standby")).withNextRestore(T)),
        row(
            "proxy moved while failing over: the new address only",
            in(GroupState.FAILING_OVER),
            new ProxyMoved(PROTECTED.proxyUrl(), "http://standby", T),
            List.of(new Persist("proxy-moved", MOVED)),
            s -> s.withGroup(s.group().withProxy("http://standby"))),
        row(
            "another group's proxy moved: nothing",
            prot,
            new ProxyMoved("http://x", "http://standby", T)),
        row(
            "proxy restored: failures forgotten",
            prot.withFailedInARow(2),
            new ProxyRestored(),
            List.of(),
            s -> s.withFailedInARow(0)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void decides(Row row) {
    assertDecided(row);
  }
}
