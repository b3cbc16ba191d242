package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.guest.AsyncifyInstrumenter;
import dev.coloha.microvm.guest.GuestLoader;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.microvm.guest.WasmOptAsyncify;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.StepClock;
import dev.coloha.microvm.testing.TestGuests;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The counter guest, an ordinary POSIX server, run unchanged as a WASI command module. */
class WasiGuestTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private final StepClock clock = new StepClock();
  private final RecordingSink sink = new RecordingSink();
  private MicroVm vm;

  @AfterEach
  void stop() {
    if (vm != null) {
      vm.stop();
    }
  }

  private MicroVm start(GuestModule guest, List<String> args) {
    vm =
        MicroVm.create(
            "w1",
            guest,
            VmConfig.defaults().withMemoryLimit(16L << 20),
            new VmEnvironment(BlockDevice.NONE, clock, clock, sink)
                .withLaunch(new WasiLaunch(args, Map.of("GREETING", "hi"))));
    vm.start();
    return vm;
  }

  private void line(int conn, long offset, String text) {
    vm.submit(new InputEvent.Data(conn, offset, text.getBytes(StandardCharsets.UTF_8)));
  }

  private void awaitOutput(int conn, String expected) {
    await().atMost(WAIT).until(() -> sink.text(conn).equals(expected));
  }

  @Test
  void anInstrumentedModuleIsAcceptedAsIs() {
    GuestModule counter = TestGuests.get("counter");
    assertThat(counter.wasi()).isTrue();
    assertThat(counter.abi().label()).isEqualTo("wasi-p1");
    assertThat(counter.sizeBytes()).isEqualTo(TestGuests.bytes("counter").length);
  }

  @Test
  void aPlainModuleIsInstrumentedByWasmOptOnLoad() {
    AsyncifyInstrumenter wasmOpt = WasmOptAsyncify.locate("wasm-opt", Duration.ofSeconds(60));
    assertThat(wasmOpt)
        .as("wasm-opt (Debian binaryen) on the PATH")
        .isNotSameAs(AsyncifyInstrumenter.NONE);
    GuestLoader loader = new GuestLoader(16 << 20, Set.of(1), true, wasmOpt);
    GuestModule loaded = loader.load("counter", TestGuests.bytes("counter-plain"));
    assertThat(loaded.wasi()).isTrue();
    // the same wasm-opt as guests/build.sh: the very module that is committed
    assertThat(loaded.sha256Hex()).isEqualTo(TestGuests.get("counter").sha256Hex());
  }

  @Test
  void aPlainModuleIsRefusedWithoutAnInstrumenter() {
    assertThatThrownBy(() -> TestGuests.loader().load("plain", TestGuests.bytes("counter-plain")))
        .isInstanceOf(InvalidGuestException.class)
        .hasMessageContaining("without Asyncify")
        .hasMessageContaining("wasm-opt --asyncify");
  }

  @Test
  void answersLinesOfSeveralClientsThroughPoll() {
    start(TestGuests.get("counter"), List.of());
    vm.submit(new InputEvent.Open(1));
    line(1, 0, "hello\n");
    awaitOutput(1, "1 hello\n");
    vm.submit(new InputEvent.Open(2));
    line(2, 0, "wor");
    line(2, 3, "ld\r\nagain\n");
    awaitOutput(2, "2 world\n3 again\n");
    line(1, 6, "quit\n");
    await().atMost(WAIT).until(() -> sink.closed(1));
    assertThat(sink.closed(2)).isFalse();
    assertThat(vm.state()).isEqualTo(VmState.RUNNING);
    assertThat(sink.error()).isNull();
  }

  @Test
  void aClientCloseIsEndOfFileAndTheGuestClosesItsSide() {
    start(TestGuests.get("counter"), List.of());
    vm.submit(new InputEvent.Open(7));
    line(7, 0, "one\n");
    awaitOutput(7, "1 one\n");
    vm.submit(new InputEvent.Close(7, 4));
    await().atMost(WAIT).until(() -> sink.closed(7));
    await().atMost(WAIT).until(() -> vm.stats().connections() == 0);
  }

  @Test
  void blockingAcceptAndRecvServeOneClientAfterAnother() {
    start(TestGuests.get("counter"), List.of("serial"));
    vm.submit(new InputEvent.Open(1));
    vm.submit(new InputEvent.Open(2));
    line(2, 0, "second\n");
    line(1, 0, "first\n");
    awaitOutput(1, "1 first\n");
    assertThat(sink.text(2)).isEmpty(); // served only once the first client is gone
    vm.submit(new InputEvent.Close(1, 6));
    awaitOutput(2, "2 second\n");
  }

  @Test
  void clockAndRandomAreTheHostsAndPollTimesOut() {
    start(TestGuests.get("counter"), List.of());
    vm.submit(new InputEvent.Open(1));
    line(1, 0, "ticks\n");
    awaitOutput(1, "1 ticks 0\n");
    clock.advanceMillis(51);
    await().atMost(WAIT).until(() -> vm.idle());
    line(1, 6, "ticks\ntime\n");
    long mono = clock.monotonicNanos();
    long real = clock.realtimeNanos() / 1_000_000_000L;
    awaitOutput(1, "1 ticks 0\n2 ticks 1\n3 time " + mono + " " + real + "\n");
    line(1, 17, "rand\n");
    await().atMost(WAIT).until(() -> sink.text(1).contains("4 rand "));
    assertThat(sink.text(1)).matches("(?s).*4 rand [0-9a-f]{16}\n");
  }

  @Test
  void aCheckpointIsTakenWhileTheGuestIsBlocked() {
    start(TestGuests.get("counter"), List.of());
    vm.submit(new InputEvent.Open(1));
    line(1, 0, "a\n");
    awaitOutput(1, "1 a\n");
    var captured = vm.capture(true);
    assertThat(captured.checkpoint().device().guestState()).isNotEmpty();
    assertThat(captured.checkpoint().device().connections()).hasSize(1);
  }
}
