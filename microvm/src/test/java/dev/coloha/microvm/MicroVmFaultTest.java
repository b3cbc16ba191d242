package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.TestGuests;
import dev.coloha.wire.LimitExceededException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MicroVmFaultTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void aTrapCrashesOnlyThatVm() {
    RecordingSink crashedOut = new RecordingSink();
    RecordingSink otherOut = new RecordingSink();
    MicroVm victim =
        MicroVm.create(
            "victim",
            TestGuests.get("trap"),
            VmConfig.defaults(),
            VmEnvironment.of(BlockDevice.NONE, crashedOut));
    MicroVm other =
        MicroVm.create(
            "other",
            TestGuests.get("trap"),
            VmConfig.defaults(),
            VmEnvironment.of(BlockDevice.NONE, otherOut));
    try {
      victim.start();
      other.start();
      victim.submit(new InputEvent.Open(1));
      victim.submit(new InputEvent.Data(1, 0, b("hello\n")));
      victim.submit(new InputEvent.Data(1, 6, b("crash\n")));
      await().atMost(Duration.ofSeconds(10)).until(() -> victim.state() == VmState.CRASHED);
      assertThat(victim.crash()).isNotNull();
      assertThat(victim.crash().getMessage()).contains("trapped");
      assertThat(crashedOut.crash()).isNotNull();
      assertThat(victim.stats().crash()).contains("trapped");
      assertThatThrownBy(() -> victim.capture(false)).isInstanceOf(VmStateException.class);

      other.submit(new InputEvent.Open(1));
      other.submit(new InputEvent.Data(1, 0, b("still here\n")));
      await().atMost(Duration.ofSeconds(10)).until(() -> otherOut.text(1).contains("still here"));
      assertThat(other.state()).isEqualTo(VmState.RUNNING);
    } finally {
      victim.stop();
      other.stop();
    }
  }

  @Test
  void aGuestOverItsMemoryLimitGetsFailedAllocationsNotTheHostsMemory() {
    RecordingSink out = new RecordingSink();
    MicroVm vm =
        MicroVm.create(
            "hog",
            TestGuests.get("hog"),
            VmConfig.defaults().withMemoryLimit(4L << 20),
            VmEnvironment.of(BlockDevice.NONE, out));
    try {
      vm.start();
      vm.submit(new InputEvent.Open(1));
      vm.submit(new InputEvent.Data(1, 0, b("100\n"))); // 100 MiB wanted, 4 MiB allowed
      await().atMost(Duration.ofSeconds(10)).until(() -> out.text(1).contains("oom"));
      assertThat(vm.state()).isEqualTo(VmState.RUNNING);
      assertThat(vm.stats().memoryPages()).isLessThanOrEqualTo(64);
    } finally {
      vm.stop();
    }
  }

  @Test
  void aGuestThatNeedsMoreInitialMemoryThanItsLimitIsRefused() {
    assertThatThrownBy(
            () ->
                MicroVm.create(
                    "tiny",
                    TestGuests.get("kv"),
                    VmConfig.defaults().withMemoryLimit(65536),
                    VmEnvironment.of(BlockDevice.NONE, OutputSink.DISCARD)))
        .isInstanceOf(LimitExceededException.class);
  }

  @Test
  void aStoppedVmRefusesWork() {
    MicroVm vm =
        MicroVm.create(
            "s",
            TestGuests.get("kv"),
            VmConfig.defaults(),
            VmEnvironment.of(BlockDevice.NONE, OutputSink.DISCARD));
    vm.start();
    vm.stop();
    assertThat(vm.state()).isEqualTo(VmState.STOPPED);
    assertThatThrownBy(() -> vm.submit(new InputEvent.Open(1)))
        .isInstanceOf(VmStateException.class);
    assertThatThrownBy(() -> vm.capture(false)).isInstanceOf(VmStateException.class);
  }
}
