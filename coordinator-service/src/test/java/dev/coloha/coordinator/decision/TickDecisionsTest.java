package dev.coloha.coordinator.decision;

import static dev.coloha.coordinator.decision.DecisionRows.CLEAN;
import static dev.coloha.coordinator.decision.DecisionRows.PROTECTED;
import static dev.coloha.coordinator.decision.DecisionRows.T;
import static dev.coloha.coordinator.decision.DecisionRows.T0;
import static dev.coloha.coordinator.decision.DecisionRows.alone;
import static dev.coloha.coordinator.decision.DecisionRows.assertDecided;
import static dev.coloha.coordinator.decision.DecisionRows.in;
import static dev.coloha.coordinator.decision.DecisionRows.row;

import dev.coloha.coordinator.decision.Action.FailOver;
import dev.coloha.coordinator.decision.Action.Protect;
import dev.coloha.coordinator.decision.Action.Reprotect;
import dev.coloha.coordinator.decision.Action.RestartFromVolume;
import dev.coloha.coordinator.decision.Action.RestoreProxy;
import dev.coloha.coordinator.decision.DecisionRows.Row;
import dev.coloha.coordinator.decision.Signal.Tick;
import dev.coloha.coordinator.model.GroupState;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decisions on time passes (a tick in each state): one row per line of the transition table in
 * docs/coordinator.md ("Decisions"), the situation, the signal, the actions decided and the next
 * situation ({@link DecisionRows}). Pure: no process, no clock, no I/O.
 */
class TickDecisionsTest {
  static Stream<Named<Row>> rows() {
    Situation prot = Situation.of(PROTECTED);
    return Stream.of(
        row(
            "tick, a checkpoint wanted, rate allows: checkpoint",
            prot.withWanted("content"),
            new Tick(T),
            List.of(new Action.Checkpoint("content"), CLEAN),
            s -> s.withWanted(null).withLastAttempt(T)),
        row(
            "tick, a checkpoint wanted within min-interval: wait",
            prot.withWanted("content").withLastAttempt(T),
            new Tick(T.plusMillis(5)),
            CLEAN),
        row(
            "tick, max-interval passed: checkpoint",
            prot,
            new Tick(T),
            List.of(new Action.Checkpoint("interval"), CLEAN),
            s -> s.withLastAttempt(T)),
        row(
            "tick, nothing due: clean up only",
            Situation.of(PROTECTED.withCheckpoint(41, T)).withLastAttempt(T),
            new Tick(T.plusSeconds(1)),
            CLEAN),
        row(
            "tick, CREATING and due: protect",
            in(GroupState.CREATING),
            new Tick(T),
            new Protect(),
            CLEAN),
        row(
            "tick, SYNCING, not yet due: wait",
            in(GroupState.SYNCING).withNextReprotect(T.plusSeconds(1)),
            new Tick(T),
            CLEAN),
        row(
            "tick, UNSERVED and due: restore the proxy",
            in(GroupState.UNSERVED),
            new Tick(T),
            new RestoreProxy(),
            CLEAN),
        row(
            "tick, RESTARTING and due: restart from the volume, waited out since now",
            in(GroupState.RESTARTING),
            new Tick(T),
            List.of(new RestartFromVolume(), CLEAN),
            s -> s.withWaits(Waits.NONE.withRestartingSince(T))),
        row(
            "tick, RESTARTING and due: the patience counts from when RESTARTING began",
            Situation.of(PROTECTED.with(GroupState.RESTARTING, "why").withSince(T0)),
            new Tick(T),
            List.of(new RestartFromVolume(), CLEAN),
            s -> s.withWaits(Waits.NONE.withRestartingSince(T0))),
        row(
            "tick, RESTARTING and due again: the wait's start is kept",
            in(GroupState.RESTARTING).withWaits(Waits.NONE.withRestartingSince(T0)),
            new Tick(T),
            new RestartFromVolume(),
            CLEAN),
        row(
            "tick, FAILING_OVER and due: resume the failover",
            in(GroupState.FAILING_OVER),
            new Tick(T),
            new FailOver("why", true),
            CLEAN),
        row(
            "tick, DEGRADED and due: re-protect",
            alone(GroupState.DEGRADED),
            new Tick(T),
            new Reprotect(),
            CLEAN),
        row("tick, FAILED: clean up only", alone(GroupState.FAILED), new Tick(T), CLEAN));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void decides(Row row) {
    assertDecided(row);
  }
}
