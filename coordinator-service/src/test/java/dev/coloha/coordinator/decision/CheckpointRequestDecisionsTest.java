package dev.coloha.coordinator.decision;

import static dev.coloha.coordinator.decision.DecisionRows.PROTECTED;
import static dev.coloha.coordinator.decision.DecisionRows.assertDecided;
import static dev.coloha.coordinator.decision.DecisionRows.row;

import dev.coloha.coordinator.decision.Action.Persist;
import dev.coloha.coordinator.decision.DecisionRows.Row;
import dev.coloha.coordinator.decision.Signal.Mismatch;
import dev.coloha.coordinator.decision.Signal.PolicyChanged;
import dev.coloha.coordinator.decision.Signal.Pressure;
import dev.coloha.coordinator.decision.Signal.SelfCheckpointed;
import dev.coloha.coordinator.model.Policy;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decisions on the proxy's requests for a checkpoint (a mismatch, pressure): one row per line
 * of the transition table in docs/coordinator.md ("Decisions"), the situation, the signal, the
 * actions decided and the next situation ({@link DecisionRows}). Pure: no process, no clock, no
 * I/O.
 */
class CheckpointRequestDecisionsTest {
  static Stream<Named<Row>> rows() {
    Situation prot = Situation.of(PROTECTED);
    Policy policy = PROTECTED.policy();
    Policy slower =
        new Policy(
            policy.minInterval(),
            Duration.ofSeconds(9),
            policy.compareTimeout(),
            policy.heartbeatInterval(),
            policy.missedBeats());
    return Stream.of(
        row(
            "mismatch: counted, a checkpoint wanted",
            prot,
            new Mismatch("content"),
            List.of(),
            s ->
                s.withGroup(PROTECTED.withCounters(PROTECTED.counters().mismatch()))
                    .withWanted("content")),
        row(
            "mismatch while one is wanted: coalesced",
            prot.withWanted("pressure"),
            new Mismatch("content"),
            List.of(),
            s -> s.withGroup(PROTECTED.withCounters(PROTECTED.counters().mismatch()))),
        row(
            "pressure: a checkpoint wanted, no mismatch counted",
            prot,
            new Pressure("pressure"),
            List.of(),
            s -> s.withWanted("pressure")),
        row(
            "self-checkpoint of this epoch answers the wanted one",
            prot.withWanted("content"),
            new SelfCheckpointed(5, 50),
            List.of(),
            s -> s.withWanted(null)),
        row(
            "self-checkpoint of an older epoch changes nothing",
            prot.withWanted("content"),
            new SelfCheckpointed(4, 50)),
        row(
            "policy changed: persisted, a checkpoint carries it to the proxy",
            prot,
            new PolicyChanged(slower),
            List.of(new Persist("policy", slower.toString())),
            s -> s.withGroup(PROTECTED.withPolicy(slower)).withWanted("policy")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void decides(Row row) {
    assertDecided(row);
  }
}
