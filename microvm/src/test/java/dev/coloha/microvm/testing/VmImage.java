package dev.coloha.microvm.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.GlobalInstance;
import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.wire.checkpoint.Checkpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a checkpoint must carry from a primary VM to its secondary, read at an event boundary: the
 * linear memory and the mutable globals (both halves of each). The checkpoint property tests
 * compare a secondary with its primary by it.
 */
public final class VmImage {
  private VmImage() {}

  /** A copy of the VM's memory. */
  public static byte[] memory(MicroVm vm) {
    return vm.atBoundary("copy memory", () -> vm.memory().buffer().clone());
  }

  /** The mutable globals' values, low and high half of each, in the module's order. */
  public static List<Long> globals(MicroVm vm) {
    return vm.atBoundary(
        "read globals",
        () -> {
          List<Long> out = new ArrayList<>();
          for (GuestModule.MutableGlobal g : vm.guest().mutableGlobals()) {
            GlobalInstance gi = vm.instance().global(g.index());
            out.add(gi.getValueLow());
            out.add(gi.getValueHigh());
          }
          return out;
        });
  }

  /**
   * Asserts that {@code secondary} holds the memory {@code primaryAtPause} (the primary's, copied
   * at the checkpoint's pause) and the primary's globals; a failure names the seed, the round and
   * the first page that differs.
   */
  public static void assertSame(
      long seed, int round, MicroVm primary, MicroVm secondary, byte[] primaryAtPause) {
    byte[] mem = memory(secondary);
    assertThat(mem.length)
        .as("seed %d round %d: memory size", seed, round)
        .isEqualTo(primaryAtPause.length);
    if (!Arrays.equals(mem, primaryAtPause)) {
      int page = Arrays.mismatch(mem, primaryAtPause) / Checkpoint.PAGE_SIZE;
      throw new AssertionError(
          "seed " + seed + " round " + round + ": memory differs first in page " + page);
    }
    assertThat(globals(secondary))
        .as("seed %d round %d: globals", seed, round)
        .isEqualTo(globals(primary));
  }
}
