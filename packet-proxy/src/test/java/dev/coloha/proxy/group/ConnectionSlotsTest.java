package dev.coloha.proxy.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A group's connection limit, resized by a reconfiguration. */
class ConnectionSlotsTest {

  @Test
  void raisingTheLimitAdmitsMoreAtOnce() throws Exception {
    ConnectionSlots slots = new ConnectionSlots(1);
    assertThat(slots.tryTake()).isTrue();
    assertThat(slots.tryTake()).isFalse();

    slots.resize(3);

    assertThat(slots.awaitFree()).isTrue();
    assertThat(slots.tryTake()).isTrue();
    assertThat(slots.tryTake()).isTrue();
    assertThat(slots.tryTake()).isFalse();
    assertThat(slots.open()).isEqualTo(3);
  }

  @Test
  void loweringTheLimitKeepsOpenConnectionsAndRefusesNewOnesUntilBelowIt() {
    ConnectionSlots slots = new ConnectionSlots(3);
    for (int i = 0; i < 3; i++) {
      assertThat(slots.tryTake()).isTrue();
    }

    slots.resize(1);

    assertThat(slots.open()).as("open connections stay").isEqualTo(3);
    assertThat(slots.tryTake()).isFalse();
    slots.release();
    assertThat(slots.tryTake()).as("2 open, limit 1").isFalse();
    slots.release();
    assertThat(slots.tryTake()).as("1 open, limit 1").isFalse();
    slots.release();
    assertThat(slots.tryTake()).as("none open").isTrue();
    assertThat(slots.tryTake()).isFalse();
  }

  @Test
  void closedSlotsAdmitNobody() throws Exception {
    ConnectionSlots slots = new ConnectionSlots(1);
    slots.tryTake();
    slots.close();
    assertThat(slots.awaitFree()).isFalse();
    assertThat(slots.tryTake()).isFalse();
  }

  @Test
  void aLimitBelowOneIsNoLimit() {
    assertThatThrownBy(() -> new ConnectionSlots(1).resize(0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
