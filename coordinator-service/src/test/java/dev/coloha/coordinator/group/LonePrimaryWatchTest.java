package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.coordinator.group.LonePrimaryWatch.Verdict;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A primary without a secondary is waited for, not declared lost at its first failed probe. */
class LonePrimaryWatchTest {
  static final Instant T0 = Instant.parse("2026-12-06T07:00:00Z");
  static final Duration SPACING = Duration.ofSeconds(1);

  @Test
  void aSilentLonePrimaryIsWaitedForUntilThePatienceIsSpent() {
    LonePrimaryWatch w = new LonePrimaryWatch(Duration.ofSeconds(60));
    assertThat(w.probeFailed(T0, SPACING, "running unprotected")).isEqualTo(Verdict.NEWLY_SILENT);
    assertThat(w.silent()).isTrue();
    assertThat(w.silentSince()).isEqualTo(T0);
    assertThat(w.probeFailed(T0.plusSeconds(30), SPACING, "other")).isEqualTo(Verdict.WAIT);
    assertThat(w.probeFailed(T0.plusSeconds(59), SPACING, "other")).isEqualTo(Verdict.WAIT);
    assertThat(w.probeFailed(T0.plusSeconds(60), SPACING, "other")).isEqualTo(Verdict.GIVE_UP);
  }

  @Test
  void aPrimaryThatAnswersAgainEndsTheWatchAndGetsItsReasonBack() {
    LonePrimaryWatch w = new LonePrimaryWatch(Duration.ofSeconds(60));
    w.probeFailed(T0, SPACING, "running unprotected");
    w.probeFailed(T0.plusSeconds(5), SPACING, "primary on host-1 does not answer");
    assertThat(w.answered()).isEqualTo("running unprotected");
    assertThat(w.silent()).isFalse();
    // a later silence starts a new wait, with the whole patience again
    assertThat(w.probeFailed(T0.plusSeconds(100), SPACING, "x")).isEqualTo(Verdict.NEWLY_SILENT);
    assertThat(w.probeFailed(T0.plusSeconds(159), SPACING, "x")).isEqualTo(Verdict.WAIT);
  }

  @Test
  void probesWhileWaitingAreSpaced() {
    LonePrimaryWatch w = new LonePrimaryWatch(Duration.ofSeconds(60));
    assertThat(w.mayProbe(T0)).isTrue();
    w.probeFailed(T0, SPACING, "r");
    assertThat(w.mayProbe(T0.plusMillis(999))).isFalse();
    assertThat(w.mayProbe(T0.plusSeconds(1))).isTrue();
    w.answered();
    assertThat(w.mayProbe(T0.plusMillis(1001))).isTrue();
  }

  @Test
  void zeroPatienceGivesUpAtTheFirstFailedProbe() {
    LonePrimaryWatch w = new LonePrimaryWatch(Duration.ZERO);
    assertThat(w.probeFailed(T0, SPACING, "r")).isEqualTo(Verdict.GIVE_UP);
    assertThatThrownBy(() -> new LonePrimaryWatch(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lone-primary-patience");
  }
}
