package dev.coloha.coordinator.decision;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.api.ErrorKind;
import org.junit.jupiter.api.Test;

/** A failed checkpoint's answer, read once into its {@link ErrorKind} for the decisions. */
class CheckpointProblemTest {

  @Test
  void anAnsweredSlugIsItsKind() {
    CheckpointProblem p = CheckpointProblem.answered("resync-required");
    assertThat(p.is(ErrorKind.RESYNC_REQUIRED)).isTrue();
    assertThat(p.kind()).isEqualTo(ErrorKind.RESYNC_REQUIRED);
    assertThat(p.label()).isEqualTo("resync-required");
    assertThat(p).isEqualTo(CheckpointProblem.answered(ErrorKind.RESYNC_REQUIRED));
  }

  @Test
  void aSlugNoKindHasKeepsItsLabelAndIsNoKind() {
    CheckpointProblem p = CheckpointProblem.answered("http-502");
    assertThat(p.kind()).isNull();
    assertThat(p.label()).isEqualTo("http-502");
    assertThat(p.is(ErrorKind.UNAVAILABLE)).isFalse();
  }

  @Test
  void noAnswerIsNotTheServicesUnavailable() {
    assertThat(CheckpointProblem.UNREACHABLE.is(ErrorKind.UNAVAILABLE)).isFalse();
    assertThat(CheckpointProblem.UNREACHABLE.label()).isEqualTo("unreachable");
    assertThat(
            GroupDecisions.primaryCannotReachSecondary(
                Cause.SECONDARY, CheckpointProblem.UNREACHABLE))
        .isFalse();
    assertThat(
            GroupDecisions.primaryCannotReachSecondary(
                Cause.SECONDARY, CheckpointProblem.answered("unavailable")))
        .isTrue();
  }
}
