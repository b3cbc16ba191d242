package dev.coloha.bench;

import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.VmConfig;
import dev.coloha.microvm.VmEnvironment;
import dev.coloha.microvm.VmStats;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.guest.GuestCatalog;
import dev.coloha.microvm.guest.GuestLoader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Prints what running an ordinary WASI program costs in the micro-VM: the {@code counter} guest
 * answers lines on one connection, fed either one line per wake-up (every line is a rewind into
 * poll, the program's work, and an unwind back out of it) or 100 lines per wake-up (one
 * rewind/unwind for 100 lines' work). The difference per line is what Asyncify's unwind and rewind
 * plus the host's dispatch cost.
 *
 * <pre>java -Xss16m -cp benchmarks/target/benchmarks.jar dev.coloha.bench.WasiGuestHarness</pre>
 */
public final class WasiGuestHarness {
  private static final int LINES = 40_000;

  private WasiGuestHarness() {}

  public static void main(String[] args) throws Exception {
    GuestCatalog catalog =
        new GuestCatalog(new GuestLoader(16 << 20, Set.of(1), true), Optional.empty());
    for (int run = 0; run < 3; run++) {
      for (int batch : new int[] {1, 100}) {
        measure(catalog, batch, run == 0);
      }
    }
  }

  private static void measure(GuestCatalog catalog, int batch, boolean warmUp) throws Exception {
    AnswerLines sink = new AnswerLines();
    MicroVm vm =
        MicroVm.create(
            "w",
            catalog.get("counter"),
            VmConfig.defaults(),
            VmEnvironment.of(BlockDevice.NONE, sink));
    vm.start();
    vm.submit(new InputEvent.Open(1));
    byte[] chunk = "x".repeat(15).concat("\n").repeat(batch).getBytes(StandardCharsets.UTF_8);
    VmStats before = vm.stats();
    long t0 = System.nanoTime();
    long offset = 0;
    for (int sent = 0; sent < LINES; sent += batch) {
      long want = sent;
      // one batch per wake-up: wait until the previous one is answered
      sink.spinUntil(want);
      vm.submit(new InputEvent.Data(1, offset, chunk));
      offset += chunk.length;
    }
    sink.await(LINES, Duration.ofMinutes(5));
    long wall = System.nanoTime() - t0;
    VmStats after = vm.stats();
    vm.stop();
    if (warmUp) {
      return;
    }
    long steps = after.events() - before.events();
    double guestMs = (after.guestNanos() - before.guestNanos()) / 1e6;
    System.out.printf(
        "batch %3d: %8.0f lines/s wall, %6.2f us guest time per line, %6.2f us per step"
            + " (%d steps)%n",
        batch, LINES / (wall / 1e9), guestMs * 1e3 / LINES, guestMs * 1e3 / steps, steps);
  }
}
