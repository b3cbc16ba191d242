package dev.coloha.bench;

import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.OutputSink;
import dev.coloha.microvm.VmConfig;
import dev.coloha.microvm.VmEnvironment;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.guest.GuestCatalog;
import dev.coloha.microvm.guest.GuestLoader;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * Prints the cost of checkpoint capture (the primary's pause) and apply (the secondary's pause) per
 * dirty 4 KiB page, for several dirty-page counts, from the VMs' own timings.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.coloha.bench.CheckpointCostHarness [guest]
 * </pre>
 *
 * <p>{@code guest} is {@code kv} (default) or {@code counter}, the WASI guest: that one is captured
 * and applied while unwound in its poll, and its checkpoints carry its descriptor table; its pages
 * are dirtied above the memory it uses (it keeps running: its poll times out every 50 ms).
 */
public final class CheckpointCostHarness {
  private static final int[] DIRTY_KV = {1, 100, 1_000, 10_000, 50_000};
  private static final int[] DIRTY_WASI = {1, 100, 1_000, 3_000};
  private static final int ROUNDS = 30;

  private CheckpointCostHarness() {}

  /** First 4 KiB page the harness dirties. */
  private static int base;

  public static void main(String[] args) {
    String guest = args.length > 0 ? args[0] : "kv";
    boolean wasi = guest.equals("counter");
    int[] counts = wasi ? DIRTY_WASI : DIRTY_KV;
    GuestCatalog catalog =
        new GuestCatalog(new GuestLoader(16 << 20, Set.of(1), true), Optional.empty());
    VmConfig config = VmConfig.defaults().withMemoryLimit(1L << 30);
    MicroVm primary =
        MicroVm.create(
            "p",
            catalog.get(guest),
            config,
            VmEnvironment.of(BlockDevice.NONE, OutputSink.DISCARD));
    primary.start();
    int neededWasmPages = counts[counts.length - 1] / 16 + 16;
    if (wasi) {
      // above what the guest uses: it keeps running between the rounds
      base = primary.atBoundary("size", () -> primary.memory().pages()) * 16;
      primary.atBoundary("grow", () -> primary.memory().grow(neededWasmPages));
    } else {
      primary.atBoundary(
          "grow",
          () -> primary.memory().grow(Math.max(0, neededWasmPages - primary.memory().pages())));
    }
    Captured full = primary.capture(1, 0, true);
    MicroVm secondary =
        MicroVm.restore(
            "s",
            catalog.get(guest),
            config,
            VmEnvironment.of(BlockDevice.NONE, OutputSink.DISCARD),
            full.checkpoint());
    long sequence = 1;
    // warm up the capture and apply paths (and the buffers they reuse) before measuring
    for (int r = 0; r < 300; r++) {
      int round = r;
      primary.atBoundary(
          "warm-up",
          () -> {
            for (int p = 0; p < counts[counts.length - 1]; p += 1 + (round % 7)) {
              primary.memory().writeLong((base + p) * 4096, round);
            }
            return null;
          });
      Captured c = primary.capture(1, sequence++, false);
      secondary.apply(c.checkpoint());
      c.release();
    }
    System.out.printf(
        "%-8s %14s %16s %14s %16s %18s %16s%n",
        "dirty",
        "capture p50",
        "capture/page",
        "apply p50",
        "apply/page",
        "stream apply p50",
        "stream/page");
    for (int dirty : counts) {
      long[] capture = new long[ROUNDS];
      long[] apply = new long[ROUNDS];
      long[] streamApply = new long[ROUNDS];
      for (int r = 0; r < ROUNDS + 5; r++) {
        dirty(primary, dirty, r);
        Captured c = primary.capture(1, sequence++, false);
        long applied = secondary.apply(c.checkpoint());
        c.release();
        // as a checkpoint stream applies: the VM's pause leaves the memory cache's copy to settle()
        dirty(primary, dirty, r + 1);
        Captured s = primary.capture(1, sequence++, false);
        long streamed = secondary.applyThenSettle(s.checkpoint(), false).pauseNanos();
        secondary.settle();
        s.release();
        if (r >= 5) {
          capture[r - 5] = c.pauseNanos();
          apply[r - 5] = applied;
          streamApply[r - 5] = streamed;
        }
      }
      long cap = median(capture);
      long app = median(apply);
      long str = median(streamApply);
      System.out.printf(
          "%-8d %11.1f us %13.3f us %11.1f us %13.3f us %15.1f us %13.3f us%n",
          dirty,
          cap / 1e3,
          cap / 1e3 / dirty,
          app / 1e3,
          app / 1e3 / dirty,
          str / 1e3,
          str / 1e3 / dirty);
    }
    primary.stop();
    secondary.stop();
  }

  /** Writes one long into each of the first {@code pages} pages (a different one each round). */
  private static void dirty(MicroVm vm, int pages, int round) {
    vm.atBoundary(
        "dirty pages",
        () -> {
          for (int p = 0; p < pages; p++) {
            vm.memory().writeLong((base + p) * 4096 + 8 * (round % 512), round);
          }
          return null;
        });
  }

  private static long median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
