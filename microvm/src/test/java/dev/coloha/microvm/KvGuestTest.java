package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.device.FileBlockDevice;
import dev.coloha.microvm.device.FlushPolicy;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.Resp;
import dev.coloha.microvm.testing.TestGuests;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvGuestTest {
  @TempDir Path dir;

  private MicroVm boot(String id, BlockDevice disk, RecordingSink sink) {
    MicroVm vm =
        MicroVm.create(id, TestGuests.get("kv"), VmConfig.defaults(), VmEnvironment.of(disk, sink));
    vm.start();
    return vm;
  }

  private static void send(MicroVm vm, int conn, long[] offset, byte[] bytes) {
    vm.submit(new InputEvent.Data(conn, offset[0], bytes));
    offset[0] += bytes.length;
  }

  @Test
  void aVmRestartedFromItsDiskImageGetsItsDataBack() throws Exception {
    Path image = dir.resolve("kv.img");
    RecordingSink first = new RecordingSink();
    MicroVm vm = boot("kv1", FileBlockDevice.open(image, 8L << 20, FlushPolicy.FSYNC), first);
    long[] off = {0};
    vm.submit(new InputEvent.Open(1));
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    for (int i = 0; i < 300; i++) {
      batch.writeBytes(Resp.command("SET", "key:" + i, "value-" + i));
    }
    batch.writeBytes(Resp.command("INCRBY", "total", "42"));
    batch.writeBytes(Resp.command("DEL", "key:7"));
    send(vm, 1, off, batch.toByteArray());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> first.text(1).endsWith(":1\r\n") && first.text(1).contains(":42\r\n"));
    vm.stop();

    RecordingSink second = new RecordingSink();
    MicroVm again = boot("kv2", FileBlockDevice.open(image, 8L << 20, FlushPolicy.FSYNC), second);
    try {
      long[] off2 = {0};
      again.submit(new InputEvent.Open(1));
      send(again, 1, off2, Resp.command("GET", "key:299"));
      send(again, 1, off2, Resp.command("GET", "key:7"));
      send(again, 1, off2, Resp.command("GET", "total"));
      send(again, 1, off2, Resp.command("DBSIZE"));
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(second.text(1))
                      .isEqualTo("$9\r\nvalue-299\r\n$-1\r\n$2\r\n42\r\n:300\r\n"));
    } finally {
      again.stop();
    }
  }

  @Test
  void answersInlineAndPipelinedCommandsSplitAnywhere() {
    RecordingSink out = new RecordingSink();
    MicroVm vm = boot("kv3", BlockDevice.NONE, out);
    try {
      vm.submit(new InputEvent.Open(1));
      byte[] all =
          ("PING\r\n"
                  + new String(Resp.command("SET", "a", "1"))
                  + "INCR a\r\nGET a\r\nNOSUCH x\r\n")
              .getBytes();
      for (int i = 0; i < all.length; i++) {
        vm.submit(new InputEvent.Data(1, i, new byte[] {all[i]}));
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(out.text(1))
                      .startsWith(
                          "+PONG\r\n+OK\r\n:2\r\n$1\r\n2\r\n-ERR unknown command 'NOSUCH'"));
    } finally {
      vm.stop();
    }
  }
}
