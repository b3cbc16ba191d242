package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.device.FileBlockDevice;
import dev.coloha.microvm.device.FlushPolicy;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.TestGuests;
import dev.coloha.testkit.Resp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
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

  /** A real file disk that counts the guest's calls. */
  private static final class CountingDisk implements BlockDevice {
    private final BlockDevice disk;
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger flushes = new AtomicInteger();
    volatile boolean failing; // the device fails every write from now on

    CountingDisk(BlockDevice disk) {
      this.disk = disk;
    }

    @Override
    public long sizeBytes() {
      return disk.sizeBytes();
    }

    @Override
    public void read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
      disk.read(offset, dst, dstOffset, length);
    }

    @Override
    public void write(long offset, byte[] src, int srcOffset, int length) throws IOException {
      writes.incrementAndGet();
      if (failing) {
        throw new IOException("injected disk failure");
      }
      disk.write(offset, src, srcOffset, length);
    }

    @Override
    public void flush() throws IOException {
      flushes.incrementAndGet();
      disk.flush();
    }

    @Override
    public void close() throws IOException {
      disk.close();
    }
  }

  @Test
  void theLogIsWrittenOncePerBatchAndFlushedPerAppendfsync() throws Exception {
    Path image = dir.resolve("batch.img");
    CountingDisk disk = new CountingDisk(FileBlockDevice.open(image, 8L << 20, FlushPolicy.OS));
    RecordingSink out = new RecordingSink();
    MicroVm vm = boot("kv-batch", disk, out);
    try {
      long[] off = {0};
      vm.submit(new InputEvent.Open(1));
      send(vm, 1, off, Resp.command("CONFIG", "GET", "appendfsync"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> out.text(1).equals("*2\r\n$11\r\nappendfsync\r\n$8\r\neverysec\r\n"));

      // 100 SETs in one delivery: one data write and the header in its two slots, no flush
      // (everysec: the boot flushed less than a second ago, or the next tick does)
      int writes = disk.writes.get();
      int flushes = disk.flushes.get();
      send(vm, 1, off, setBatch("a", 100));
      await().atMost(Duration.ofSeconds(10)).until(() -> count(out.text(1), "+OK") == 100);
      assertThat(disk.writes.get() - writes).isEqualTo(3);
      assertThat(disk.flushes.get() - flushes).isLessThanOrEqualTo(1);

      // always: the batch is flushed before its replies go out
      send(vm, 1, off, Resp.command("CONFIG", "SET", "appendfsync", "always"));
      await().atMost(Duration.ofSeconds(10)).until(() -> count(out.text(1), "+OK") == 101);
      flushes = disk.flushes.get();
      writes = disk.writes.get();
      send(vm, 1, off, setBatch("b", 50));
      await().atMost(Duration.ofSeconds(10)).until(() -> count(out.text(1), "+OK") == 151);
      assertThat(disk.flushes.get() - flushes).isEqualTo(1);
      assertThat(disk.writes.get() - writes).isEqualTo(3);

      // a bad value is refused and changes nothing
      send(vm, 1, off, Resp.command("CONFIG", "SET", "appendfsync", "sometimes"));
      await().atMost(Duration.ofSeconds(10)).until(() -> out.text(1).contains("-ERR CONFIG SET"));
    } finally {
      vm.stop();
    }

    // the policy is in the log: a VM booted from the disk keeps it, and its data
    RecordingSink again = new RecordingSink();
    MicroVm vm2 = boot("kv-batch-2", FileBlockDevice.open(image, 8L << 20, FlushPolicy.OS), again);
    try {
      long[] off = {0};
      vm2.submit(new InputEvent.Open(1));
      send(vm2, 1, off, Resp.command("CONFIG", "GET", "appendfsync"));
      send(vm2, 1, off, Resp.command("DBSIZE"));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> again.text(1).equals("*2\r\n$11\r\nappendfsync\r\n$6\r\nalways\r\n:150\r\n"));
    } finally {
      vm2.stop();
    }
  }

  @Test
  void aDiskThatFailsAfterBootCrashesTheGuestBeforeItAnswers() throws Exception {
    CountingDisk disk =
        new CountingDisk(FileBlockDevice.open(dir.resolve("fail.img"), 8L << 20, FlushPolicy.OS));
    RecordingSink out = new RecordingSink();
    MicroVm vm = boot("kv-fail", disk, out);
    try {
      long[] off = {0};
      vm.submit(new InputEvent.Open(1));
      send(vm, 1, off, Resp.command("SET", "a", "1"));
      await().atMost(Duration.ofSeconds(10)).until(() -> out.text(1).equals("+OK\r\n"));
      disk.failing = true;
      send(vm, 1, off, setBatch("b", 10));
      await().atMost(Duration.ofSeconds(10)).until(() -> vm.state() == VmState.CRASHED);
      assertThat(out.text(1)).as("no reply of the batch whose log failed").isEqualTo("+OK\r\n");
    } finally {
      vm.stop();
    }
  }

  private static byte[] setBatch(String prefix, int n) {
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    for (int i = 0; i < n; i++) {
      batch.writeBytes(Resp.command("SET", prefix + ":" + i, "value-" + i));
    }
    return batch.toByteArray();
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
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
