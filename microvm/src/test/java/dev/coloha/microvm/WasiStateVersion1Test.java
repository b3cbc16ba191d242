package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.microvm.memory.TrackedMemory;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.StepClock;
import dev.coloha.microvm.testing.TestGuests;
import dev.coloha.wire.checkpoint.Checkpoint;
import dev.coloha.wire.checkpoint.CheckpointHeader;
import dev.coloha.wire.checkpoint.DeviceState;
import dev.coloha.wire.frame.Payload;
import dev.coloha.wire.frame.PayloadBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint of a WASI guest written by a host of WASI state version 1 (which kept Asyncify's
 * data, the unwound stack, in a page of its own at the end of the guest's memory, and carried only
 * its address) is applied: the stack is read out of the applied memory, and the guest carries on
 * exactly as the VM it was captured from. The version 1 checkpoint is made from a real one: the
 * counter guest blocked in poll, its stack moved into an extra last page as that host had it.
 */
class WasiStateVersion1Test {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private final GuestModule counter = TestGuests.get("counter");
  private final VmConfig config = VmConfig.defaults().withMemoryLimit(16L << 20);

  @Test
  void aBlockedGuestCapturedByAVersion1HostCarriesOnWhereItWas() {
    StepClock aClock = new StepClock();
    RecordingSink aSink = new RecordingSink();
    MicroVm a = MicroVm.create("a", counter, config, environment(aClock, aSink));
    MicroVm b = null;
    try {
      a.start();
      long offset = 0;
      a.submit(new InputEvent.Open(1));
      for (String line : List.of("one", "two", "three")) {
        offset = send(List.of(a), 1, offset, line);
      }
      awaitIdle(a);
      assertThat(aSink.text(1)).isEqualTo("1 one\n2 two\n3 three\n");
      Captured full = a.capture(1, 0, true);
      Checkpoint v1 = asVersion1(full.checkpoint());

      StepClock bClock = new StepClock();
      RecordingSink bSink = new RecordingSink(false);
      b = MicroVm.restore("b", counter, config, environment(bClock, bSink), v1);
      b.start();
      assertThat(b.memory().pages())
          .as("the version 1 host's page is memory like any other now")
          .isEqualTo(full.checkpoint().header().memoryPages() + 1);

      assertThat(bClock.realtimeNanos()).as("one time on both").isEqualTo(aClock.realtimeNanos());
      int before = aSink.text(1).length();
      for (String line : List.of("four", "rand", "time", "ticks", "five")) {
        offset = send(List.of(a, b), 1, offset, line);
      }
      awaitIdle(a);
      awaitIdle(b);
      String aAfter = aSink.text(1).substring(before);
      assertThat(aAfter).startsWith("4 four\n5 rand ").endsWith("\n8 five\n");
      assertThat(bSink.text(1))
          .as("the guest applied from version 1 state answers as the original")
          .isEqualTo(aAfter);
      assertThat(b.state()).isEqualTo(VmState.RUNNING);
    } finally {
      a.stop();
      if (b != null) {
        b.stop();
      }
    }
  }

  /**
   * {@code cp} as a version 1 host wrote it: one more Wasm page at the end of memory holding
   * Asyncify's data (header: end of the stack, end of the data; then the stack), and WASI state
   * version 1, which carries that page's address where version 4 carries the stack, and no file
   * system part (the counter has no disk: its version 4 state ends with an empty one) nor inetd
   * connection.
   */
  private static Checkpoint asVersion1(Checkpoint cp) {
    byte[] v2 = cp.device().guestState();
    Payload p = new Payload(v2);
    assertThat(p.u8()).isEqualTo(4);
    int run = p.u8();
    int exitCode = p.i32();
    byte[] stack = p.bytes(p.i32());
    assertThat(stack).as("the counter is blocked: it has an unwound stack").isNotEmpty();
    assertThat(Arrays.copyOfRange(v2, v2.length - 8, v2.length - 4))
        .as("an empty file system part, then no inetd connection (-1), end the state")
        .containsOnly(0);
    assertThat(Arrays.copyOfRange(v2, v2.length - 4, v2.length)).containsOnly(-1);
    byte[] rest = Arrays.copyOfRange(v2, v2.length - p.remaining(), v2.length - 8);

    CheckpointHeader h = cp.header();
    int at = h.memoryPages() * TrackedMemory.PAGE_SIZE;
    ByteBuffer page = ByteBuffer.allocate(TrackedMemory.PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    page.putInt(0, at + 8 + stack.length).putInt(4, at + TrackedMemory.PAGE_SIZE).put(8, stack);
    int extra = Checkpoint.PAGES_PER_WASM_PAGE;
    int[] indices = Arrays.copyOf(cp.pageIndices(), cp.pageCount() + extra);
    for (int i = 0; i < extra; i++) {
      indices[cp.pageCount() + i] = h.memoryPages() * Checkpoint.PAGES_PER_WASM_PAGE + i;
    }
    byte[] data = Arrays.copyOf(cp.pageData(), (cp.pageCount() + extra) * Checkpoint.PAGE_SIZE);
    System.arraycopy(
        page.array(), 0, data, cp.pageCount() * Checkpoint.PAGE_SIZE, TrackedMemory.PAGE_SIZE);
    byte[] v1 = new PayloadBuilder().u8(1).u8(run).i32(exitCode).i32(at).bytes(rest).toByteArray();
    DeviceState d = cp.device();
    return new Checkpoint(
        new CheckpointHeader(
            h.guest(),
            h.moduleHash(),
            h.epoch(),
            h.sequence(),
            h.baseSequence(),
            h.memoryPages() + 1,
            cp.pageCount() + extra),
        indices,
        data,
        cp.globals(),
        new DeviceState(
            d.interval(), d.diskBarrier(), d.connections(), d.closedConnections(), d.timers(), v1));
  }

  private static long send(List<MicroVm> vms, int conn, long offset, String line) {
    byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
    for (MicroVm vm : vms) {
      vm.submit(new InputEvent.Data(conn, offset, bytes));
    }
    return offset + bytes.length;
  }

  private static VmEnvironment environment(StepClock clock, RecordingSink sink) {
    return new VmEnvironment(BlockDevice.NONE, clock, clock, sink)
        .withLaunch(new WasiLaunch(List.of(), Map.of()));
  }

  private static void awaitIdle(MicroVm vm) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(2)).until(vm::idle);
  }
}
