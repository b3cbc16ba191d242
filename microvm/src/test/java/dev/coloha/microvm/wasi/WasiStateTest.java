package dev.coloha.microvm.wasi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.frame.PayloadBuilder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class WasiStateTest {

  @Test
  void descriptorsGetTheLowestFreeNumberAsInPosix() {
    DescriptorTable t = DescriptorTable.initial(8, 3);
    assertThat(t.open(new Descriptor.Socket(10, 0))).isEqualTo(4);
    assertThat(t.open(new Descriptor.Socket(11, 0))).isEqualTo(5);
    t.close(4);
    assertThat(t.open(new Descriptor.Socket(12, Descriptor.NONBLOCK))).isEqualTo(4);
    assertThat(t.get(4).nonblocking()).isTrue();
    t.open(new Descriptor.Socket(13, 0));
    t.open(new Descriptor.Socket(14, 0));
    assertThat(t.size()).isEqualTo(8);
    assertThat(t.open(new Descriptor.Socket(15, 0))).as("table full").isEqualTo(-1);
  }

  @Test
  void roundTripsAndRebasesTheDeadlineOnTheReceiversClock() {
    DescriptorTable t = DescriptorTable.initial(16, 3);
    t.open(new Descriptor.Socket(7, Descriptor.NONBLOCK));
    t.put(3, new Descriptor.Listener(Descriptor.NONBLOCK));
    BlockedCall blocked =
        new BlockedCall(
            List.of(new BlockedCall.Interest(3, false), new BlockedCall.Interest(4, true)),
            1_000_000_500L);
    byte[] bytes =
        new WasiState(WasiState.Run.BLOCKED, 0, new byte[] {1, 2, 3, 4, 5}, t, blocked, new byte[0])
            .encode(1_000_000_000L);

    WasiState back = WasiState.decode(bytes, 16, 100, 77_000L);
    assertThat(back.run()).isEqualTo(WasiState.Run.BLOCKED);
    assertThat(back.unwoundStack()).as("the unwound stack travels").containsExactly(1, 2, 3, 4, 5);
    assertThat(back.descriptors().all()).isEqualTo(t.all());
    assertThat(back.blocked().interests()).isEqualTo(blocked.interests());
    assertThat(back.blocked().deadlineNanos())
        .as("500 ns left, on the new clock")
        .isEqualTo(77_500L);

    WasiState noDeadline =
        WasiState.decode(
            new WasiState(
                    WasiState.Run.BLOCKED,
                    0,
                    new byte[0],
                    t,
                    new BlockedCall(List.of(), BlockedCall.NO_DEADLINE),
                    new byte[0])
                .encode(5),
            16,
            100,
            9);
    assertThat(noDeadline.blocked().hasDeadline()).isFalse();
  }

  @Test
  void corruptOrOversizedStateIsRefused() {
    byte[] good =
        new WasiState(
                WasiState.Run.EXITED,
                3,
                new byte[0],
                DescriptorTable.initial(16, 3),
                null,
                new byte[0])
            .encode(0);
    assertThat(WasiState.decode(good, 16, 100, 0).exitCode()).isEqualTo(3);
    assertThatThrownBy(() -> WasiState.decode(new byte[0], 16, 100, 0))
        .isInstanceOf(CorruptStreamException.class);
    byte[] badVersion = good.clone();
    badVersion[0] = 9;
    assertThatThrownBy(() -> WasiState.decode(badVersion, 16, 100, 0))
        .isInstanceOf(CorruptStreamException.class)
        .hasMessageContaining("version");
    assertThatThrownBy(() -> WasiState.decode(good, 2, 100, 0))
        .isInstanceOf(CorruptStreamException.class)
        .hasMessageContaining("descriptors");
    assertThatThrownBy(() -> WasiState.decode(Arrays.copyOf(good, good.length - 1), 16, 100, 0))
        .isInstanceOf(CorruptStreamException.class);
    byte[] deep =
        new WasiState(
                WasiState.Run.BLOCKED,
                0,
                new byte[101],
                DescriptorTable.initial(16, 3),
                null,
                new byte[0])
            .encode(0);
    assertThatThrownBy(() -> WasiState.decode(deep, 16, 100, 0))
        .as("an unwound stack larger than this host's Asyncify data")
        .isInstanceOf(CorruptStreamException.class)
        .hasMessageContaining("unwound stack");
  }

  @Test
  void anInetdProgramsConnectionAndStreamsTravelAndAVersion3RecordIsStillApplied() {
    DescriptorTable t = DescriptorTable.initial(16, -1);
    t.put(0, new Descriptor.Inetd(0, 12, 0));
    t.put(1, new Descriptor.Inetd(1, 12, Descriptor.NONBLOCK));
    t.put(3, new Descriptor.Directory(1, true, 0));
    BlockedCall blocked =
        new BlockedCall(List.of(new BlockedCall.Interest(0, false)), BlockedCall.NO_DEADLINE);
    WasiState back =
        WasiState.decode(
            new WasiState(WasiState.Run.BLOCKED, 0, new byte[] {1}, t, blocked, new byte[0], 12)
                .encode(0),
            16,
            100,
            0);
    assertThat(back.descriptors().all()).isEqualTo(t.all());
    assertThat(back.inetdConn()).isEqualTo(12);
    byte[] waiting =
        new WasiState(
                WasiState.Run.WAITING,
                1,
                new byte[0],
                DescriptorTable.initial(16, -1),
                null,
                new byte[0],
                -1)
            .encode(0);
    assertThat(WasiState.decode(waiting, 16, 100, 0).run()).isEqualTo(WasiState.Run.WAITING);

    // version 3: no inetd connection at the end; WAITING and inetd descriptors are refused in it
    byte[] v4 =
        new WasiState(
                WasiState.Run.BLOCKED,
                0,
                new byte[0],
                DescriptorTable.initial(16, 3),
                null,
                new byte[0])
            .encode(0);
    byte[] v3 = Arrays.copyOf(v4, v4.length - 4);
    v3[0] = 3;
    assertThat(WasiState.decode(v3, 16, 100, 0).inetdConn()).isEqualTo(-1);
    byte[] waitingV3 = Arrays.copyOf(waiting, waiting.length - 4);
    waitingV3[0] = 3;
    assertThatThrownBy(() -> WasiState.decode(waitingV3, 16, 100, 0))
        .isInstanceOf(CorruptStreamException.class)
        .hasMessageContaining("WAITING");
  }

  @Test
  void filesWithTheirPositionsAndTheFileSystemTravelAndAVersion2RecordIsStillApplied() {
    DescriptorTable t = DescriptorTable.initial(16, 3);
    t.put(4, new Descriptor.Directory(1, true, 0));
    t.open(new Descriptor.File(9, 1234567890123L, true, false, Descriptor.APPEND));
    t.open(new Descriptor.Directory(5, false, 0));
    byte[] fs = {9, 8, 7};
    WasiState back =
        WasiState.decode(
            new WasiState(WasiState.Run.BLOCKED, 0, new byte[0], t, null, fs).encode(0),
            16,
            100,
            0);
    assertThat(back.descriptors().all()).isEqualTo(t.all());
    assertThat(back.fileSystem()).containsExactly(9, 8, 7);

    // version 2: no file system part, no file descriptors
    byte[] v3 =
        new WasiState(
                WasiState.Run.BLOCKED,
                0,
                new byte[0],
                DescriptorTable.initial(16, 3),
                null,
                new byte[0])
            .encode(0);
    byte[] v2 = Arrays.copyOf(v3, v3.length - 8); // no file system part, no inetd connection
    v2[0] = 2;
    WasiState old = WasiState.decode(v2, 16, 100, 0);
    assertThat(old.fileSystem()).isEmpty();
    assertThat(old.descriptors().all()).isEqualTo(DescriptorTable.initial(16, 3).all());
  }

  @Test
  void aVersion1StateIsReadWithItsStackFromWhereItsAsyncifyDataWas() {
    DescriptorTable t = DescriptorTable.initial(16, 3);
    t.open(new Descriptor.Socket(7, 0));
    BlockedCall blocked =
        new BlockedCall(List.of(new BlockedCall.Interest(4, false)), BlockedCall.NO_DEADLINE);
    byte[] v2 =
        new WasiState(WasiState.Run.BLOCKED, 0, new byte[0], t, blocked, new byte[0]).encode(0);
    // version 1: run, exit status, then the address of Asyncify's data in linear memory where
    // version 3 has the stack (length and bytes); the rest is the same, without version 3's file
    // system part (here an empty one: its length, 4 bytes)
    int v2Head = 1 + 1 + 4 + 4;
    byte[] v1 =
        new PayloadBuilder()
            .u8(1)
            .u8(WasiState.Run.BLOCKED.ordinal())
            .i32(0)
            .i32(0x30000)
            .bytes(Arrays.copyOfRange(v2, v2Head, v2.length - 8))
            .toByteArray();
    List<Integer> asked = new java.util.ArrayList<>();
    WasiState s =
        WasiState.decode(
            v1,
            16,
            100,
            0,
            at -> {
              asked.add(at);
              return new byte[] {9, 8, 7};
            });
    assertThat(asked).as("the stack is read where the state says").containsExactly(0x30000);
    assertThat(s.run()).isEqualTo(WasiState.Run.BLOCKED);
    assertThat(s.unwoundStack()).containsExactly(9, 8, 7);
    assertThat(s.descriptors().all()).isEqualTo(t.all());
    assertThat(s.blocked().interests()).containsExactly(new BlockedCall.Interest(4, false));
    assertThat(s.blocked().hasDeadline()).isFalse();
    assertThat(WasiState.decode(s.encode(0), 16, 100, 0).unwoundStack())
        .as("captured again, it is a state of this version")
        .containsExactly(9, 8, 7);

    assertThatThrownBy(() -> WasiState.decode(v1, 16, 100, 0))
        .as("without a way to read its stack a version 1 state is refused")
        .isInstanceOf(CorruptStreamException.class)
        .hasMessageContaining("version 1");
    assertThatThrownBy(() -> WasiState.decode(v1, 16, 2, 0, at -> new byte[3]))
        .isInstanceOf(CorruptStreamException.class)
        .hasMessageContaining("unwound stack");
    byte[] exited = v1.clone();
    exited[1] = (byte) WasiState.Run.EXITED.ordinal();
    assertThat(
            WasiState.decode(
                    exited,
                    16,
                    100,
                    0,
                    at -> {
                      throw new AssertionError("no stack to read for a guest that is not blocked");
                    })
                .unwoundStack())
        .isEmpty();
  }
}
