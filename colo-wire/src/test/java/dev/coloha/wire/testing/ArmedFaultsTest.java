package dev.coloha.wire.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ArmedFaultsTest {
  private static final Set<String> POINTS = Set.of("before-send", "commit");

  @Test
  void anArmedPointFiresOnceForItsNameOnly() {
    ArmedFaults f = ArmedFaults.of("x.faults", POINTS, List.of("before-send@p1", "commit@kv"));
    assertThat(f.fire("before-send", "p2")).isFalse();
    assertThat(f.fire("commit", "p1")).isFalse();
    assertThat(f.armed("before-send", "p1")).isTrue();
    assertThat(f.fire("before-send", "p1")).isTrue();
    assertThat(f.fire("before-send", "p1")).as("once").isFalse();
    assertThat(f.armed("before-send", "p1")).isFalse();
    assertThat(f.fire("commit", "kv")).isTrue();
  }

  @Test
  void nothingIsArmedByDefault() {
    assertThat(ArmedFaults.of("x.faults", POINTS, List.of())).isSameAs(ArmedFaults.NONE);
    assertThat(ArmedFaults.of("x.faults", POINTS, null)).isSameAs(ArmedFaults.NONE);
    assertThat(ArmedFaults.NONE.fire("commit", "kv")).isFalse();
  }

  @Test
  void anEntryThatNamesNoPointOrNothingIsRefusedAtStartUp() {
    for (String wrong : List.of("commit", "@kv", "commit@", "crash@kv")) {
      assertThatThrownBy(() -> ArmedFaults.of("x.faults", POINTS, List.of(wrong)))
          .as(wrong)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("x.faults");
    }
  }
}
