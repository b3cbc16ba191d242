package dev.coloha.microvm.conn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.wire.checkpoint.ConnectionState;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConnectionTableTest {
  private final ConnectionTable table = new ConnectionTable(100, 100);

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** Runs the dispatcher until idle, returning what the guest was shown. */
  private String drain() {
    StringBuilder shown = new StringBuilder();
    GuestConnection c;
    while ((c = table.next()) != null) {
      if (!c.opened()) {
        table.opening(c);
        shown.append("open").append(c.id()).append(' ');
      } else if (table.pending(c) > 0 && !c.inputHeld()) {
        shown.append(new String(table.take(c, 4), StandardCharsets.US_ASCII)).append(' ');
      } else {
        table.closing(c);
        shown.append("close").append(c.id()).append(' ');
      }
      table.done(c);
    }
    return shown.toString().trim();
  }

  @Test
  void deliversOpenDataInChunksThenClose() {
    table.receive(new InputEvent.Open(1));
    table.receive(new InputEvent.Data(1, 0, b("abcdef")));
    table.receive(new InputEvent.Close(1, 6));
    assertThat(drain()).isEqualTo("open1 abcd ef close1");
    assertThat(table.size()).isZero();
    assertThat(table.takeTombstones()).containsExactly(1);
  }

  @Test
  void refusesGapsAndDataForUnknownConnectionsButIgnoresDuplicates() {
    assertThatThrownBy(() -> table.receive(new InputEvent.Data(9, 0, b("x"))))
        .isInstanceOf(InputProtocolException.class);
    table.receive(new InputEvent.Open(1));
    table.receive(new InputEvent.Data(1, 0, b("abc")));
    table.receive(new InputEvent.Data(1, 1, b("b"))); // duplicate
    assertThatThrownBy(() -> table.receive(new InputEvent.Data(1, 5, b("x"))))
        .isInstanceOf(InputProtocolException.class);
    assertThatThrownBy(() -> table.receive(new InputEvent.Open(1)))
        .isInstanceOf(InputProtocolException.class);
    assertThat(drain()).isEqualTo("open1 abc");
  }

  @Test
  void heldInputWaitsForRelease() {
    table.receive(new InputEvent.Open(1));
    drain();
    table.get(1).holdInput(true);
    table.receive(new InputEvent.Data(1, 0, b("xy")));
    assertThat(drain()).isEmpty();
    table.get(1).holdInput(false);
    table.schedule(table.get(1));
    assertThat(drain()).isEqualTo("xy");
  }

  @Test
  void aSecondaryRewindsToThePrimarysConsumedOffset() {
    table.journaling(true);
    table.receive(new InputEvent.Open(1));
    table.receive(new InputEvent.Data(1, 0, b("abcdefgh")));
    assertThat(drain()).isEqualTo("open1 abcd efgh");
    // the primary had consumed only 3 bytes and produced 10
    table.reposition(List.of(new ConnectionState(1, true, false, 3, 10)), List.of());
    assertThat(table.get(1).produced()).isEqualTo(10);
    assertThat(drain()).isEqualTo("defg h");
  }

  @Test
  void aSecondaryBehindThePrimarySkipsBytesThatArriveLater() {
    table.journaling(true);
    table.receive(new InputEvent.Open(1));
    table.receive(new InputEvent.Data(1, 0, b("ab")));
    drain();
    table.reposition(List.of(new ConnectionState(1, true, false, 5, 0)), List.of());
    table.receive(new InputEvent.Data(1, 2, b("cdefg")));
    assertThat(drain()).isEqualTo("fg");
  }

  @Test
  void aConnectionThePrimaryHasNotSeenStartsAgainFromItsOpen() {
    table.journaling(true);
    table.receive(new InputEvent.Open(2));
    table.receive(new InputEvent.Data(2, 0, b("hi")));
    assertThat(drain()).isEqualTo("open2 hi");
    table.reposition(List.of(), List.of());
    assertThat(drain()).isEqualTo("open2 hi");
  }

  @Test
  void aConnectionThePrimaryClosedIsForgottenAndItsLateInputIgnored() {
    table.journaling(true);
    table.reposition(List.of(), List.of(7));
    table.receive(new InputEvent.Open(7));
    table.receive(new InputEvent.Data(7, 0, b("late")));
    assertThat(drain()).isEmpty();
    table.receive(new InputEvent.Close(7, 4));
    assertThat(table.size()).isZero();
  }

  @Test
  void aConnectionTheSecondaryClosedButThePrimaryDidNotIsReopenedForTheGuest() {
    table.journaling(true);
    table.receive(new InputEvent.Open(1));
    table.receive(new InputEvent.Data(1, 0, b("abc")));
    table.receive(new InputEvent.Close(1, 3));
    assertThat(drain()).isEqualTo("open1 abc close1");
    table.reposition(List.of(new ConnectionState(1, true, false, 1, 0)), List.of());
    assertThat(drain()).isEqualTo("bc close1");
  }

  @Test
  void aSecondaryAttachedLaterIsFedFromThePrimarysConsumedOffset() {
    // re-protection: the connection exists only in the sync checkpoint, at offset 40 both ways
    table.journaling(true);
    table.reposition(List.of(new ConnectionState(5, true, false, 40, 12)), List.of());
    table.receive(new InputEvent.Data(5, 40, b("next")));
    assertThat(drain()).isEqualTo("next");
    // a feed that restarts below what arrived keeps only the new tail
    table.receive(new InputEvent.Data(5, 42, b("xtmore")));
    assertThat(drain()).isEqualTo("more");
  }

  @Test
  void repositionIsAllOrNothing() {
    table.receive(new InputEvent.Open(1));
    table.receive(new InputEvent.Data(1, 0, b("abcdef")));
    drain(); // not journaling: consumed input is gone
    assertThatThrownBy(
            () -> table.reposition(List.of(new ConnectionState(1, true, false, 2, 0)), List.of()))
        .isInstanceOf(InputProtocolException.class);
    assertThat(table.get(1).consumed()).isEqualTo(6);
  }

  @Test
  void snapshotListsLiveConnectionsInIdOrder() {
    table.receive(new InputEvent.Open(3));
    table.receive(new InputEvent.Open(1));
    drain();
    table.produced(1, 5);
    table.guestClose(3);
    assertThat(table.snapshot())
        .containsExactly(
            new ConnectionState(1, true, false, 0, 5), new ConnectionState(3, true, true, 0, 0));
    assertThat(table.produced(3, 1)).isEqualTo(-1);
  }
}
