package dev.coloha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

class PrerequisitesTest {
  @Test
  void aMissingPrerequisiteFailsUnderCi() {
    assertThatThrownBy(() -> Prerequisites.require(false, "no promtool", "true"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("no promtool")
        .hasMessageContaining("CI=true");
    assertThatThrownBy(() -> Prerequisites.require(false, "no promtool", "TRUE"))
        .isInstanceOf(AssertionError.class);
  }

  @Test
  void aMissingPrerequisiteSkipsOnADevelopersMachine() {
    assertThatThrownBy(() -> Prerequisites.require(false, "no promtool", null))
        .isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("no promtool");
    assertThatThrownBy(() -> Prerequisites.require(false, "no promtool", "false"))
        .isInstanceOf(TestAbortedException.class);
  }

  @Test
  void aPrerequisiteThatIsThereLetsTheTestRun() {
    assertThatCode(() -> Prerequisites.require(true, "no promtool", "true"))
        .doesNotThrowAnyException();
    assertThatCode(() -> Prerequisites.require(true, "no promtool", null))
        .doesNotThrowAnyException();
  }

  @Test
  void onlyCiEqualToTrueIsACiRun() {
    assertThat(Prerequisites.ci("true")).isTrue();
    assertThat(Prerequisites.ci(null)).isFalse();
    assertThat(Prerequisites.ci("")).isFalse();
    assertThat(Prerequisites.ci("false")).isFalse();
  }

  @Test
  void findsAToolOnThePath() {
    assertThat(Prerequisites.onPath("sh")).isTrue();
    assertThat(Prerequisites.onPath("no-such-tool-" + System.nanoTime())).isFalse();
  }
}
