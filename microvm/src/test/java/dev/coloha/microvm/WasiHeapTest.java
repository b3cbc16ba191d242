package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.StepClock;
import dev.coloha.microvm.testing.TestGuests;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A stock WASI program ({@code guests/testing/wasi-heap.c}, no workaround of any kind) whose heap
 * grows well past the end of its initial memory, one 4 KiB block per line, blocking in recv (an
 * unwind, then a rewind) between two allocations and checking every block each time. When the host
 * kept its Asyncify data in a page it added at the end of memory, wasi-libc's malloc handed that
 * page out and an unwind overwrote a block (or the block overwrote Asyncify's header).
 */
class WasiHeapTest {
  private static final int LINES = 80;

  @Test
  void aProgramsHeapIsItsOwnAcrossUnwindsAndRewinds() {
    StepClock clock = new StepClock();
    RecordingSink sink = new RecordingSink();
    MicroVm vm =
        MicroVm.create(
            "heap",
            TestGuests.get("wasi-heap"),
            VmConfig.defaults().withMemoryLimit(16L << 20),
            new VmEnvironment(BlockDevice.NONE, clock, clock, sink)
                .withLaunch(new WasiLaunch(List.of(), Map.of())));
    vm.start();
    try {
      awaitIdle(vm);
      int bootPages = vm.atBoundary("pages", () -> vm.memory().pages());
      vm.submit(new InputEvent.Open(1));
      StringBuilder expected = new StringBuilder();
      for (int i = 1; i <= LINES; i++) {
        vm.submit(new InputEvent.Data(1, i - 1, "\n".getBytes(StandardCharsets.US_ASCII)));
        expected.append("ok ").append(i).append('\n');
        awaitIdle(vm); // the next line comes after the program blocked again
      }
      assertThat(vm.state()).isEqualTo(VmState.RUNNING);
      assertThat(sink.text(1)).isEqualTo(expected.toString());
      assertThat(vm.atBoundary("pages", () -> vm.memory().pages()))
          .as("the heap grew past the end of the memory the program booted with")
          .isGreaterThan(bootPages + 2);
    } finally {
      vm.stop();
    }
  }

  private static void awaitIdle(MicroVm vm) {
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(2)).until(vm::idle);
  }
}
