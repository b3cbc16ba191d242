package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.guest.GuestLoader;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.microvm.guest.WasmOptAsyncify;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.StepClock;
import dev.coloha.testkit.Guests;
import dev.coloha.testkit.Resp;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The WASI build of kv ({@code guests/kv/kv-wasi.wasm}, instrumented by wasm-opt as on upload)
 * keeps running after checkpoints while its heap grows: one client comes and goes, a capture, then
 * rounds of ten clients with SETs and a capture after each. wasi-libc's malloc takes everything up
 * to the end of memory at its first allocation; when the host kept its Asyncify buffer in a page it
 * added at the end of memory before {@code _start}, malloc handed that page out and the guest
 * (built without any workaround) trapped in round 1 (an out-of-bounds access at a garbage address).
 * The host now keeps the unwound stack host-side ({@code AsyncifyStack}). Needs wasm-opt (Binaryen)
 * on the PATH.
 */
class WasiKvHeapTest {
  @Test
  void theWasiKvKeepsRunningWhileItsHeapGrowsAcrossCheckpoints() throws Exception {
    GuestLoader loader =
        new GuestLoader(
            16 << 20, Set.of(1), true, WasmOptAsyncify.locate("wasm-opt", Duration.ofMinutes(2)));
    GuestModule kv = loader.load("kvw", Guests.wasm("kv/kv-wasi.wasm"));
    StepClock clock = new StepClock();
    RecordingSink sink = new RecordingSink();
    MicroVm vm =
        MicroVm.create(
            "kvw",
            kv,
            VmConfig.defaults().withMemoryLimit(64L << 20),
            new VmEnvironment(BlockDevice.NONE, clock, clock, sink)
                .withLaunch(new WasiLaunch(List.of(), Map.of())));
    vm.start();
    try {
      byte[] first = Resp.command("SET", "a", "b");
      vm.submit(new InputEvent.Open(999));
      vm.submit(new InputEvent.Data(999, 0, first));
      vm.submit(new InputEvent.Close(999, first.length));
      awaitIdle(vm);
      long seq = 0;
      vm.capture(1, ++seq, true);
      Map<Integer, Long> offsets = new HashMap<>();
      int conn = 1;
      for (int round = 0; round < 40; round++) {
        for (int c = 0; c < 10; c++) {
          int id = conn++;
          vm.submit(new InputEvent.Open(id));
          offsets.put(id, 0L);
          for (int i = 0; i < 20; i++) {
            byte[] b = Resp.command("SET", "k" + round + "-" + c + "-" + i, "abc");
            vm.submit(new InputEvent.Data(id, offsets.get(id), b));
            offsets.merge(id, (long) b.length, Long::sum);
          }
          if (round % 3 == 0) {
            vm.submit(new InputEvent.Close(id, offsets.get(id)));
          }
        }
        awaitIdle(vm);
        assertThat(vm.state()).as("round %d", round).isEqualTo(VmState.RUNNING);
        vm.capture(1, ++seq, round % 5 == 0);
      }
      assertThat(sink.text(1)).isEqualTo("+OK\r\n".repeat(20));
      assertThat(sink.text(conn - 1)).isEqualTo("+OK\r\n".repeat(20));
      assertThat(vm.memory().pages()).as("the heap grew").isGreaterThan(10);
    } finally {
      vm.stop();
    }
  }

  private static void awaitIdle(MicroVm vm) {
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(2)).until(vm::idle);
  }
}
