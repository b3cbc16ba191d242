package dev.coloha.microvm.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.microvm.InvalidGuestException;
import dev.coloha.microvm.UnsupportedAbiException;
import dev.coloha.microvm.testing.TestGuests;
import dev.coloha.wire.LimitExceededException;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GuestLoaderTest {
  private final GuestLoader loader = TestGuests.loader();

  @Test
  void loadsTheBundledGuestsAndFindsTheirMutableGlobals() {
    for (String name : new String[] {"kv", "http"}) {
      GuestModule g = TestGuests.get(name);
      assertThat(g.abiVersion()).isEqualTo(1);
      assertThat(g.sha256()).hasSize(32);
      assertThat(g.mutableGlobals()).as("%s has a stack pointer", name).isNotEmpty();
    }
  }

  @Test
  void refusesBytesThatAreNotWasm() {
    assertThatThrownBy(() -> loader.load("junk", "hello, world".getBytes()))
        .isInstanceOf(InvalidGuestException.class)
        .hasMessageContaining("not a valid Wasm module");
  }

  @Test
  void refusesATruncatedModule() {
    byte[] kv = TestGuests.bytes("kv");
    assertThatThrownBy(() -> loader.load("cut", Arrays.copyOf(kv, kv.length / 2)))
        .isInstanceOf(InvalidGuestException.class);
  }

  @Test
  void refusesAnOversizedModuleBeforeParsingIt() {
    GuestLoader small = new GuestLoader(1024, Set.of(1), true);
    assertThatThrownBy(() -> small.load("kv", TestGuests.bytes("kv")))
        .isInstanceOf(LimitExceededException.class)
        .hasMessageContaining("guest module size");
  }

  @Test
  void refusesAModuleWithoutTheAbiExports() {
    byte[] empty = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    assertThatThrownBy(() -> loader.load("empty", empty))
        .isInstanceOf(InvalidGuestException.class)
        .hasMessageContaining("memory");
  }

  @Test
  void refusesAnotherAbiVersion() {
    assertThatThrownBy(() -> loader.load("abi2", TestGuests.bytes("abi2")))
        .isInstanceOf(UnsupportedAbiException.class)
        .hasMessageContaining("version 2");
  }

  @Test
  void refusesWasiImports() {
    assertThatThrownBy(() -> loader.load("wasi", TestGuests.bytes("wasi")))
        .isInstanceOf(InvalidGuestException.class)
        .hasMessageContaining("wasi_snapshot_preview1");
  }
}
