package dev.coloha.proxy.compare;

import static dev.coloha.proxy.compare.ComparatorState.COMPARING;
import static dev.coloha.proxy.compare.ComparatorState.SINGLE;
import static dev.coloha.proxy.compare.ComparatorState.SINGLE_BASED;
import static dev.coloha.proxy.compare.ComparatorState.UNBASED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.proxy.compare.OutputComparator.Mode;
import dev.coloha.wire.io.IoFrame;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The comparator's transition table: every state under every event, legal and refused. */
class ComparatorStateTest {
  enum Event {
    PRIMARY_STARTED(ComparatorState::primaryStarted),
    COMMITTED(ComparatorState::committed),
    SECONDARY_GONE(ComparatorState::secondaryGone),
    SECONDARY_ATTACHED(ComparatorState::secondaryAttached);

    final UnaryOperator<ComparatorState> apply;

    Event(UnaryOperator<ComparatorState> apply) {
      this.apply = apply;
    }
  }

  /** The table of ComparatorState's javadoc; null: refused. */
  static final Map<ComparatorState, ComparatorState[]> TABLE = new EnumMap<>(ComparatorState.class);

  static {
    TABLE.put(UNBASED, new ComparatorState[] {COMPARING, COMPARING, SINGLE, COMPARING});
    TABLE.put(COMPARING, new ComparatorState[] {null, COMPARING, SINGLE_BASED, COMPARING});
    TABLE.put(SINGLE, new ComparatorState[] {null, null, SINGLE, COMPARING});
    TABLE.put(SINGLE_BASED, new ComparatorState[] {null, null, SINGLE_BASED, COMPARING});
  }

  @Test
  void everyStateUnderEveryEventMovesAsTheTableSaysOrIsRefused() {
    assertThat(TABLE.keySet()).containsExactlyInAnyOrder(ComparatorState.values());
    int legal = 0;
    int refused = 0;
    for (ComparatorState from : ComparatorState.values()) {
      for (Event e : Event.values()) {
        ComparatorState to = TABLE.get(from)[e.ordinal()];
        if (to == null) {
          assertThatThrownBy(() -> e.apply.apply(from))
              .as("%s in %s", e, from)
              .isInstanceOf(IllegalStateException.class)
              .hasMessageContaining(from.name());
          refused++;
        } else {
          assertThat(e.apply.apply(from)).as("%s in %s", e, from).isEqualTo(to);
          legal++;
        }
      }
    }
    assertThat(legal).isEqualTo(11);
    assertThat(refused).isEqualTo(5);
  }

  @Test
  void theGuardsAgreeWithTheTable() {
    for (ComparatorState s : ComparatorState.values()) {
      assertThat(s.awaitsBase()).as("%s", s).isEqualTo(TABLE.get(s)[0] != null);
      assertThat(s.compares()).as("%s", s).isEqualTo(TABLE.get(s)[1] != null);
      assertThat(s.mode()).isEqualTo(s.compares() ? Mode.COLO : Mode.SINGLE);
    }
    assertThat(ComparatorState.initial(Mode.COLO)).isEqualTo(UNBASED);
    assertThat(ComparatorState.initial(Mode.SINGLE)).isEqualTo(SINGLE);
  }

  @Test
  void aCommitRefusedInSingleModeChangesNothing() {
    OutputComparator cmp =
        new OutputComparator(
            Mode.SINGLE,
            new OutputComparator.Settings(1, 1, 1 << 20, 1 << 24, 16, 0),
            new Recorder());
    assertThat(cmp.commit(5, Map.of(), 0)).isFalse();
    assertThat(cmp.mode()).isEqualTo(Mode.SINGLE);
    cmp.attachSecondary(5, Map.of(), Set.of(), 0);
    assertThat(cmp.mode()).isEqualTo(Mode.COLO);
    assertThat(cmp.commit(5, Map.of(), 0)).as("not newer than the sync").isFalse();
    assertThat(cmp.commit(6, Map.of(), 0)).isTrue();
    cmp.dropSecondary(0);
    assertThat(cmp.commit(7, Map.of(), 0)).isFalse();
    assertThat(cmp.stats().committed()).isEqualTo(6);
  }

  @Test
  void thePrimarysFirstIntervalIsTheBaseOnlyOnce() {
    OutputComparator cmp =
        new OutputComparator(
            Mode.COLO,
            new OutputComparator.Settings(1, 1, 1 << 20, 1 << 24, 16, 0),
            new Recorder());
    cmp.primary(new IoFrame.Interval(1, 4), 0);
    assertThat(cmp.stats().compareInterval()).isEqualTo(4);
    cmp.primary(new IoFrame.Interval(1, 7), 0);
    assertThat(cmp.stats().compareInterval()).isEqualTo(4);
    assertThat(cmp.stats().committed()).isEqualTo(3);
  }
}
