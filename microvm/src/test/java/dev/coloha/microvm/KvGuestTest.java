package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.device.FileBlockDevice;
import dev.coloha.microvm.device.FlushPolicy;
import dev.coloha.microvm.testing.GuestConnection;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.TestGuests;
import dev.coloha.testkit.Resp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
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

  @Test
  void aVmRestartedFromItsDiskImageGetsItsDataBack() throws Exception {
    Path image = dir.resolve("kv.img");
    RecordingSink first = new RecordingSink();
    MicroVm vm = boot("kv1", FileBlockDevice.open(image, 8L << 20, FlushPolicy.FSYNC), first);
    GuestConnection c = GuestConnection.open(vm, first);
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    for (int i = 0; i < 300; i++) {
      batch.writeBytes(Resp.command("SET", "key:" + i, "value-" + i));
    }
    batch.writeBytes(Resp.command("INCRBY", "total", "42"));
    batch.writeBytes(Resp.command("DEL", "key:7"));
    c.send(batch.toByteArray());
    c.awaitText(t -> t.endsWith(":1\r\n") && t.contains(":42\r\n"));
    vm.stop();

    RecordingSink second = new RecordingSink();
    MicroVm again = boot("kv2", FileBlockDevice.open(image, 8L << 20, FlushPolicy.FSYNC), second);
    try {
      GuestConnection c2 = GuestConnection.open(again, second);
      c2.command("GET", "key:299");
      c2.command("GET", "key:7");
      c2.command("GET", "total");
      c2.command("DBSIZE");
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

  /** The kv log's two header sectors (guests/kv/aof.h). */
  private static final int HEADER_SLOTS = 1024;

  /** A real file disk that counts the guest's calls. */
  private static final class CountingDisk implements BlockDevice {
    private final BlockDevice disk;
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger flushes = new AtomicInteger();
    volatile boolean failing; // the device fails every write from now on
    final AtomicInteger headerWrites = new AtomicInteger(); // to the log's two header sectors

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
      if (offset < HEADER_SLOTS) {
        headerWrites.incrementAndGet();
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
      GuestConnection c = GuestConnection.open(vm, out);
      c.command("CONFIG", "GET", "appendfsync");
      c.awaitText(t -> t.equals("*2\r\n$11\r\nappendfsync\r\n$8\r\neverysec\r\n"));

      // 100 SETs in one delivery: one data write, no header, no flush (everysec: the boot flushed
      // less than a second ago, or the next tick does)
      int writes = disk.writes.get();
      int flushes = disk.flushes.get();
      c.send(setBatch("a", 100));
      c.awaitText(t -> count(t, "+OK") == 100);
      assertThat(disk.writes.get() - writes).isEqualTo(1);
      assertThat(disk.flushes.get() - flushes).isLessThanOrEqualTo(1);

      // always: the batch is flushed before its replies go out
      c.command("CONFIG", "SET", "appendfsync", "always");
      c.awaitText(t -> count(t, "+OK") == 101);
      flushes = disk.flushes.get();
      writes = disk.writes.get();
      c.send(setBatch("b", 50));
      c.awaitText(t -> count(t, "+OK") == 151);
      assertThat(disk.flushes.get() - flushes).isEqualTo(1);
      assertThat(disk.writes.get() - writes).isEqualTo(1);

      // a bad value is refused and changes nothing
      c.command("CONFIG", "SET", "appendfsync", "sometimes");
      c.awaitText(t -> t.contains("-ERR CONFIG SET"));
    } finally {
      vm.stop();
    }

    // the policy is in the log: a VM booted from the disk keeps it, and its data
    RecordingSink again = new RecordingSink();
    MicroVm vm2 = boot("kv-batch-2", FileBlockDevice.open(image, 8L << 20, FlushPolicy.OS), again);
    try {
      GuestConnection c = GuestConnection.open(vm2, again);
      c.command("CONFIG", "GET", "appendfsync");
      c.command("DBSIZE");
      c.awaitText(t -> t.equals("*2\r\n$11\r\nappendfsync\r\n$6\r\nalways\r\n:150\r\n"));
    } finally {
      vm2.stop();
    }
  }

  private MicroVm bootWith(String id, BlockDevice disk, RecordingSink sink, String appendfsync) {
    VmEnvironment env =
        VmEnvironment.of(disk, sink)
            .withLaunch(WasiLaunch.none().withAppendfsync(Appendfsync.ofApiName(appendfsync)));
    MicroVm vm = MicroVm.create(id, TestGuests.get("kv"), VmConfig.defaults(), env);
    vm.start();
    return vm;
  }

  private static String configGet(String policy) {
    return "*2\r\n$11\r\nappendfsync\r\n$" + policy.length() + "\r\n" + policy + "\r\n";
  }

  @Test
  void aVmCreatedWithAppendfsyncAlwaysFlushesEachCommandBeforeItsReply() throws Exception {
    CountingDisk disk =
        new CountingDisk(FileBlockDevice.open(dir.resolve("always.img"), 8L << 20, FlushPolicy.OS));
    RecordingSink out = new RecordingSink();
    MicroVm vm = bootWith("kv-always", disk, out, "always");
    try {
      GuestConnection c = GuestConnection.open(vm, out);
      c.command("CONFIG", "GET", "appendfsync");
      c.awaitText(t -> t.equals(configGet("always")));
      int flushes = disk.flushes.get();
      for (int i = 1; i <= 5; i++) {
        int n = i;
        c.command("SET", "k" + i, "v");
        c.awaitText(t -> count(t, "+OK") == n);
        assertThat(disk.flushes.get() - flushes).as("flushes after %d SETs", n).isEqualTo(n);
      }
    } finally {
      vm.stop();
    }
  }

  @Test
  void aVmCreatedWithAppendfsyncNoNeverFlushesAfterBoot() throws Exception {
    CountingDisk disk =
        new CountingDisk(FileBlockDevice.open(dir.resolve("no.img"), 8L << 20, FlushPolicy.OS));
    RecordingSink out = new RecordingSink();
    MicroVm vm = bootWith("kv-no", disk, out, "no");
    try {
      GuestConnection c = GuestConnection.open(vm, out);
      c.command("CONFIG", "GET", "appendfsync");
      c.awaitText(t -> t.equals(configGet("no")));
      int flushes = disk.flushes.get();
      int writes = disk.writes.get();
      for (int i = 1; i <= 5; i++) {
        int n = i;
        c.command("SET", "k" + i, "v");
        c.awaitText(t -> count(t, "+OK") == n);
      }
      assertThat(disk.writes.get() - writes).isEqualTo(5);
      assertThat(disk.flushes.get()).as("no flush after the boot's").isEqualTo(flushes);
    } finally {
      vm.stop();
    }
  }

  @Test
  void aPolicySetByAClientOutlivesACompactionAndTheVmsCreatedPolicy() throws Exception {
    Path image = dir.resolve("compact.img");
    RecordingSink out = new RecordingSink();
    MicroVm vm =
        bootWith("kv-c1", FileBlockDevice.open(image, 8L << 20, FlushPolicy.OS), out, "always");
    try {
      GuestConnection c = GuestConnection.open(vm, out);
      c.command("SET", "a", "1");
      c.command("CONFIG", "SET", "appendfsync", "everysec");
      c.command("BGREWRITEAOF");
      c.awaitText(
          t -> t.equals("+OK\r\n+OK\r\n+Background append only file rewriting started\r\n"));
    } finally {
      vm.stop();
    }
    // the snapshot holds everysec although it is the guest's default: the VM's own is always
    RecordingSink again = new RecordingSink();
    MicroVm vm2 =
        bootWith("kv-c2", FileBlockDevice.open(image, 8L << 20, FlushPolicy.OS), again, "always");
    try {
      GuestConnection c = GuestConnection.open(vm2, again);
      c.command("CONFIG", "GET", "appendfsync");
      c.command("GET", "a");
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> assertThat(again.text(1)).isEqualTo(configGet("everysec") + "$1\r\n1\r\n"));
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
      GuestConnection c = GuestConnection.open(vm, out);
      c.command("SET", "a", "1");
      c.awaitText(t -> t.equals("+OK\r\n"));
      disk.failing = true;
      c.send(setBatch("b", 10));
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
  void theHeaderIsWrittenOnlyWhenTheLogRollsAndBootFindsTheRecordsByTheirChecks() throws Exception {
    Path image = dir.resolve("tail.img");
    CountingDisk disk = new CountingDisk(FileBlockDevice.open(image, 8L << 20, FlushPolicy.OS));
    RecordingSink out = new RecordingSink();
    MicroVm vm = boot("kv-tail", disk, out);
    try {
      GuestConnection c = GuestConnection.open(vm, out);
      c.command("PING");
      c.awaitText(t -> t.equals("+PONG\r\n"));
      int headers = disk.headerWrites.get();
      int flushes = disk.flushes.get();
      for (int i = 0; i < 20; i++) {
        c.send(setBatch("t" + i, 10));
      }
      c.command("DEL", "t3:0");
      c.awaitText(t -> t.endsWith(":1\r\n"));
      // everysec: the flush of the second comes, without a header
      await().atMost(Duration.ofSeconds(10)).until(() -> disk.flushes.get() > flushes);
      assertThat(disk.headerWrites.get()).isEqualTo(headers);
    } finally {
      vm.stop();
    }
    assertThat(get(image, "t19:9", "t3:0", "t0:0"))
        .isEqualTo("$7\r\nvalue-9\r\n$-1\r\n$7\r\nvalue-0\r\n");
  }

  @Test
  void aTornRecordEndsTheLogAndWhatFollowedItNeverComesBack() throws Exception {
    Path image = dir.resolve("torn.img");
    CountingDisk disk = new CountingDisk(FileBlockDevice.open(image, 8L << 20, FlushPolicy.OS));
    RecordingSink out = new RecordingSink();
    MicroVm vm = boot("kv-torn", disk, out);
    try {
      GuestConnection c = GuestConnection.open(vm, out);
      c.command("SET", "k", "v");
      c.awaitText(t -> t.equals("+OK\r\n"));
      c.command("SET", "x", "1");
      c.awaitText(t -> t.equals("+OK\r\n+OK\r\n"));
      c.command("DEL", "k");
      c.awaitText(t -> t.endsWith(":1\r\n"));
    } finally {
      vm.stop();
    }
    // the host lost part of "SET x 1": the log ends before it, the DEL after it is not replayed
    byte[] record = Resp.command("SET", "x", "1");
    byte[] bytes = Files.readAllBytes(image);
    int at = indexOf(bytes, record);
    assertThat(at).isPositive();
    bytes[at + record.length - 3] = '2';
    Files.write(image, bytes);
    assertThat(get(image, "k", "x")).isEqualTo("$1\r\nv\r\n$-1\r\n");

    // the same command again: its record must not continue the lost run's chain, so that the DEL
    // written after the torn record stays out of the log
    RecordingSink again = new RecordingSink();
    MicroVm vm2 = boot("kv-torn-2", FileBlockDevice.open(image, 8L << 20, FlushPolicy.OS), again);
    try {
      GuestConnection c = GuestConnection.open(vm2, again);
      c.command("SET", "x", "1");
      c.awaitText(t -> t.equals("+OK\r\n"));
    } finally {
      vm2.stop();
    }
    assertThat(get(image, "k", "x")).isEqualTo("$1\r\nv\r\n$1\r\n1\r\n");
  }

  /**
   * The log's frame checks are the zlib CRC-32 (the guest computes it eight bytes at a time): every
   * record of every length from 1 to 80 bytes of value, at every alignment in the stage, and
   * records that cross a 64 KiB chunk of one batch, and records whose keys and values have length
   * prefixes of one to six digits, are checked here byte for byte against what the client sent and
   * with a bit-wise CRC-32 (itself checked against {@link java.util.zip.CRC32}), frame after frame
   * from the region's origin.
   */
  @Test
  void everyFrameCarriesTheCrc32OfItsLengthAndRecordChainedFromTheRegionsOrigin() throws Exception {
    Path image = dir.resolve("crc.img");
    RecordingSink out = new RecordingSink();
    MicroVm vm = boot("kv-crc", FileBlockDevice.open(image, 8L << 20, FlushPolicy.OS), out);
    java.util.List<byte[]> records = new java.util.ArrayList<>();
    try {
      GuestConnection c = GuestConnection.open(vm, out);
      int replies = 0;
      for (int n = 1; n <= 80; n++) {
        byte[] record = Resp.command("SET", "k" + n, "v".repeat(n));
        records.add(record);
        c.send(record); // one event, one batch, one frame each
        replies++;
        int want = replies;
        await().atMost(Duration.ofSeconds(10)).until(() -> count(out.text(1), "+OK") == want);
      }
      // one batch of ~150 KiB: frames cross the stage's 64 KiB chunks
      ByteArrayOutputStream batch = new ByteArrayOutputStream();
      for (int i = 0; i < 150; i++) {
        byte[] record = Resp.command("SET", "big" + i, "x".repeat(1000 + i));
        records.add(record);
        batch.writeBytes(record);
      }
      c.send(batch.toByteArray());
      int want = replies + 150;
      await().atMost(Duration.ofSeconds(10)).until(() -> count(out.text(1), "+OK") == want);
      // length prefixes of one to six digits at each digit count's edges (the guest writes a
      // prefix under 10 and under 100 as whole words, longer ones two digits at a time), in keys
      // and in values
      int[] lengths = {9, 10, 11, 99, 100, 101, 999, 1000, 9999, 10_000, 99_999, 100_000, 123_457};
      for (int n : lengths) {
        byte[] record = Resp.command("SET", "K".repeat(Math.min(n, 1000)), "w".repeat(n));
        records.add(record);
        // counted before the send: the reply may come before a count after it
        int wantEdges = count(out.text(1), "+OK") + 1;
        c.send(record);
        await().atMost(Duration.ofSeconds(10)).until(() -> count(out.text(1), "+OK") == wantEdges);
      }
    } finally {
      vm.stop();
    }

    byte[] seedInput = new byte[16];
    java.nio.ByteBuffer.wrap(seedInput)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .put("COLOKVLG".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
        .putLong(1); // the first header's seq
    java.util.zip.CRC32 zlib = new java.util.zip.CRC32();
    zlib.update(seedInput);
    assertThat(crc32(0, seedInput, 0, 16)).isEqualTo((int) zlib.getValue());
    int chain = crc32(crc32(0, seedInput, 0, 8), seedInput, 8, 8); // region_origin(1)

    java.nio.ByteBuffer log =
        java.nio.ByteBuffer.wrap(Files.readAllBytes(image)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int at = 1024; // region 0
    java.util.List<byte[]> logged = new java.util.ArrayList<>();
    while (true) {
      int len = log.getInt(at);
      if (len <= 0 || at + 8 + len > log.capacity()) {
        break;
      }
      int check = crc32(chain, log.array(), at, 4 + len);
      if (log.getInt(at + 4 + len) != check) {
        break;
      }
      logged.add(java.util.Arrays.copyOfRange(log.array(), at + 4, at + 4 + len));
      chain = check;
      at += 8 + len;
    }
    assertThat(logged).hasSize(1 + records.size()); // the BOOT record first
    assertThat(new String(logged.get(0), java.nio.charset.StandardCharsets.US_ASCII))
        .startsWith("*2\r\n$4\r\nBOOT\r\n");
    for (int i = 0; i < records.size(); i++) {
      assertThat(logged.get(i + 1)).as("record %d", i).isEqualTo(records.get(i));
    }
  }

  /** CRC-32 (IEEE, zlib's) of b[from, from + n) continuing crc, one bit at a time. */
  private static int crc32(int crc, byte[] b, int from, int n) {
    int c = ~crc;
    for (int i = from; i < from + n; i++) {
      c ^= b[i] & 0xff;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
      }
    }
    return ~c;
  }

  @Test
  void aVersion1LogIsReadAndConvertedToVersion2() throws Exception {
    Path image = dir.resolve("v1.img");
    long size = 8L << 20;
    long region = ((size - 1024) / 2) & ~511L;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    log.writeBytes(Resp.command("SET", "old", "1"));
    log.writeBytes(Resp.command("SET", "gone", "2"));
    log.writeBytes(Resp.command("DEL", "gone"));
    byte[] data = log.toByteArray();
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(data);
    java.nio.ByteBuffer h =
        java.nio.ByteBuffer.allocate(512).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    h.put("COLOKVLG".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    h.putInt(1)
        .putInt(0)
        .putLong(4)
        .putLong(region)
        .putLong(data.length)
        .putInt((int) crc.getValue());
    java.util.zip.CRC32 hc = new java.util.zip.CRC32();
    hc.update(h.array(), 0, 44);
    h.putInt((int) hc.getValue());
    try (BlockDevice d = FileBlockDevice.open(image, size, FlushPolicy.OS)) {
      d.write(0, h.array(), 0, 512);
      d.write(512, h.array(), 0, 512);
      byte[] padded = new byte[(data.length + 511) & ~511];
      System.arraycopy(data, 0, padded, 0, data.length);
      d.write(1024, padded, 0, padded.length);
    }
    assertThat(get(image, "old", "gone")).isEqualTo("$1\r\n1\r\n$-1\r\n");
    byte[] slots = java.util.Arrays.copyOf(Files.readAllBytes(image), 1024);
    assertThat(slots[8] == 2 || slots[512 + 8] == 2).as("a version 2 header").isTrue();
    assertThat(get(image, "old", "gone")).isEqualTo("$1\r\n1\r\n$-1\r\n");
  }

  /** Boots a VM on the image, sends GET of each key, returns the replies. */
  private String get(Path image, String... keys) throws Exception {
    RecordingSink out = new RecordingSink();
    MicroVm vm = boot("kv-get", FileBlockDevice.open(image, 8L << 20, FlushPolicy.OS), out);
    try {
      GuestConnection c = GuestConnection.open(vm, out);
      for (String k : keys) {
        c.command("GET", k);
      }
      c.command("PING");
      c.awaitText(t -> t.endsWith("+PONG\r\n"));
      String t = out.text(1);
      return t.substring(0, t.length() - "+PONG\r\n".length());
    } finally {
      vm.stop();
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
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
