package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.ExportFunction;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.testing.GuestConnection;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.TestGuests;
import dev.coloha.testkit.Resp;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The kv guest compacts its log incrementally (issue 15, guests/kv/aof.h): a slice of the snapshot
 * per event while clients keep writing, and at every moment the disk recovers every acknowledged
 * write. The stream of events is driven by calling the guest's exports directly at one boundary (no
 * timer event comes in between), so that the disk bytes of each event are known exactly.
 */
class KvCompactionTest {
  private static final long DISK = 8L << 20;
  private static final int HEADER_SLOTS = 1024;
  private static final long REGION = ((DISK - HEADER_SLOTS) / 2) & ~511L;

  /** guests/kv/aof.h: AOF_COMPACT_SLICE and AOF_CHUNK. */
  private static final int SLICE = 128 * 1024;

  private static final int CHUNK = 64 * 1024;

  /**
   * The most an event of a few small commands may write during a compaction: its slice (which may
   * cross the budget by one record), the new region's chunk left from the event before, the event's
   * own log batch and the switch's header.
   */
  private static final int EVENT_BOUND = SLICE + 2 * CHUNK;

  /** A disk in memory that counts what the guest writes and keeps the image of the last flush. */
  private static final class MemoryDisk implements BlockDevice {
    final byte[] image;
    byte[] flushed;
    long written;
    long regionOneWritten;
    int dirtyFrom = Integer.MAX_VALUE; // bytes written since the last flush: [dirtyFrom, dirtyTo)
    int dirtyTo;
    int headerWrites;

    MemoryDisk(byte[] image) {
      this.image = image;
      this.flushed = image.clone();
    }

    @Override
    public long sizeBytes() {
      return image.length;
    }

    @Override
    public synchronized void read(long offset, byte[] dst, int dstOffset, int length) {
      System.arraycopy(image, (int) offset, dst, dstOffset, length);
    }

    @Override
    public synchronized void write(long offset, byte[] src, int srcOffset, int length) {
      System.arraycopy(src, srcOffset, image, (int) offset, length);
      dirtyFrom = Math.min(dirtyFrom, (int) offset);
      dirtyTo = Math.max(dirtyTo, (int) offset + length);
      written += length;
      if (offset < HEADER_SLOTS) {
        headerWrites++;
      } else if (offset >= HEADER_SLOTS + REGION) {
        regionOneWritten += length;
      }
    }

    @Override
    public synchronized void flush() {
      if (dirtyFrom < dirtyTo) {
        System.arraycopy(image, dirtyFrom, flushed, dirtyFrom, dirtyTo - dirtyFrom);
      }
      dirtyFrom = Integer.MAX_VALUE;
      dirtyTo = 0;
    }

    @Override
    public void close() {}
  }

  /** A disk image and what the clients had been told was done when it was taken. */
  private record Point(String what, byte[] image, Map<String, String> acknowledged) {}

  private static MicroVm boot(String id, MemoryDisk disk, RecordingSink out) {
    VmEnvironment env =
        VmEnvironment.of(disk, out)
            .withLaunch(WasiLaunch.none().withAppendfsync(Appendfsync.ofApiName("always")));
    MicroVm vm = MicroVm.create(id, TestGuests.get("kv"), VmConfig.defaults(), env);
    vm.start();
    return vm;
  }

  @Test
  void aCompactionUnderWritesTakesManyBoundedSlicesAndEveryDiskImageOnTheWayRecoversEveryAck()
      throws Exception {
    MemoryDisk disk = new MemoryDisk(new byte[(int) DISK]);
    RecordingSink out = new RecordingSink(false);
    MicroVm vm = boot("kv-compact", disk, out);
    Map<String, String> model = new TreeMap<>();
    List<Point> points = new ArrayList<>();
    List<Long> compactionEvents = new ArrayList<>(); // bytes written by each event of it
    Random random = new Random(15);
    int keys = 14_000;
    try {
      vm.submit(new InputEvent.Open(1));
      while (!vm.idle()) {
        Thread.onSpinWait();
      }
      int headersAtBoot = disk.headerWrites;
      vm.atBoundary(
          "compaction stream",
          () -> {
            ExportFunction alloc = vm.instance().export("colo_alloc");
            ExportFunction onData = vm.instance().export("colo_on_data");
            // ~2 MiB of live data, in events of 500 SETs
            load(vm, alloc, onData, random, keys, model);
            assertThat(disk.regionOneWritten).as("no compaction while loading").isZero();
            // then SET/DEL/INCR, a few per event, until the compaction has switched regions
            int events = 0;
            while (disk.headerWrites == headersAtBoot && events < 200_000) {
              ByteArrayOutputStream b = new ByteArrayOutputStream();
              for (int j = 0; j < 3; j++) {
                String key = "k:" + random.nextInt(keys);
                switch (random.nextInt(4)) {
                  case 0 -> {
                    b.writeBytes(Resp.command("DEL", key));
                    model.remove(key);
                  }
                  case 1 -> {
                    String counter = "n:" + random.nextInt(50);
                    b.writeBytes(Resp.command("INCR", counter));
                    model.merge(counter, "1", (a, x) -> Long.toString(Long.parseLong(a) + 1));
                  }
                  default -> {
                    String v = value(random, random.nextInt());
                    b.writeBytes(Resp.command("SET", key, v));
                    model.put(key, v);
                  }
                }
              }
              boolean compacting = disk.regionOneWritten > 0;
              long before = disk.written;
              event(vm, alloc, onData, b.toByteArray());
              events++;
              if (compacting || disk.regionOneWritten > 0) {
                compactionEvents.add(disk.written - before);
                // the image as written and as last flushed, at every 4th event of the compaction
                // and at the switch
                if (compactionEvents.size() % 4 == 1 || disk.headerWrites != headersAtBoot) {
                  int n = compactionEvents.size();
                  Map<String, String> acked = new LinkedHashMap<>(model);
                  points.add(new Point("written, event " + n, disk.image.clone(), acked));
                  points.add(new Point("flushed, event " + n, disk.flushed.clone(), acked));
                }
              }
            }
            return null;
          });
      assertThat(out.text(1)).doesNotContain("-");
    } finally {
      vm.stop();
    }

    assertThat(compactionEvents.stream().mapToLong(Long::longValue).max().orElseThrow())
        .as("bytes written by an event during the compaction")
        .isLessThanOrEqualTo(EVENT_BOUND);
    assertThat(compactionEvents).as("events the compaction took").hasSizeGreaterThan(10);

    for (Point p : points) {
      assertHoldsExactly("kv-recovered", p.image(), p.acknowledged(), "absent", p.what());
    }
  }

  @Test
  void aVmBootedFromACrashMidCompactionCompactsAgainOverTheAbandonedRegionAndLosesNothing()
      throws Exception {
    MemoryDisk disk = new MemoryDisk(new byte[(int) DISK]);
    MicroVm vm = boot("kv-crash", disk, new RecordingSink(false));
    Map<String, String> model = new TreeMap<>();
    Random random = new Random(16);
    int keys = 14_000;
    byte[] crashed;
    try {
      vm.submit(new InputEvent.Open(1));
      while (!vm.idle()) {
        Thread.onSpinWait();
      }
      crashed =
          vm.atBoundary(
              "until mid-compaction",
              () -> {
                ExportFunction alloc = vm.instance().export("colo_alloc");
                ExportFunction onData = vm.instance().export("colo_on_data");
                load(vm, alloc, onData, random, keys, model);
                int compacting = 0;
                for (int n = keys; compacting < 8 && n < 200_000; n++) {
                  String key = "k:" + random.nextInt(keys);
                  String v = value(random, n);
                  model.put(key, v);
                  event(vm, alloc, onData, Resp.command("SET", key, v));
                  compacting += disk.regionOneWritten > 0 ? 1 : 0;
                }
                return disk.flushed.clone(); // a crash: what was not flushed is lost
              });
    } finally {
      vm.stop();
    }
    assertThat(disk.headerWrites).as("no switch yet").isEqualTo(2); // the format's two slots

    // the next run compacts again (into the region the crashed one had half written), while its
    // clients delete and write keys
    MemoryDisk second = new MemoryDisk(crashed);
    RecordingSink out = new RecordingSink();
    MicroVm vm2 = boot("kv-after-crash", second, out);
    try {
      GuestConnection c = GuestConnection.open(vm2, out);
      for (int i = 0; i < 200; i++) {
        c.command("DEL", "k:" + i);
        model.remove("k:" + i);
        c.command("SET", "new:" + i, "v" + i);
        model.put("new:" + i, "v" + i);
      }
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(60))
          .until(() -> second.headerWrites > 0 && !info(c, out).contains("in_progress:1"));
    } finally {
      vm2.stop();
    }
    assertThat(second.regionOneWritten).isPositive();

    assertHoldsExactly(
        "kv-after-switch", second.flushed.clone(), model, "k:0", "the disk after the switch");
  }

  /**
   * Boots a VM on {@code image} and checks that it holds exactly {@code acked}: its DBSIZE, and an
   * MGET of those keys plus {@code absent}, a key it must not hold.
   */
  private static void assertHoldsExactly(
      String id, byte[] image, Map<String, String> acked, String absent, String what) {
    RecordingSink out = new RecordingSink();
    MicroVm vm = boot(id, new MemoryDisk(image), out);
    try {
      GuestConnection c = GuestConnection.open(vm, out);
      List<String> names = new ArrayList<>(acked.keySet());
      names.add(absent);
      List<String> mget = new ArrayList<>(List.of("MGET"));
      mget.addAll(names);
      c.command("DBSIZE");
      c.command(mget.toArray(String[]::new));
      StringBuilder want = new StringBuilder(":" + acked.size() + "\r\n");
      want.append('*').append(names.size()).append("\r\n");
      for (String name : names) {
        String v = acked.get(name);
        want.append(v == null ? "$-1\r\n" : "$" + v.length() + "\r\n" + v + "\r\n");
      }
      String expected = want.toString();
      try {
        c.awaitText(t -> t.length() >= expected.length());
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        // compared below
      }
      assertThat(c.text()).as(what).isEqualTo(expected);
    } finally {
      vm.stop();
    }
  }

  /**
   * ~150 bytes of log a key: SET k:0 .. k:(keys - 1), in events of 500 SETs, into the model too.
   */
  private static void load(
      MicroVm vm,
      ExportFunction alloc,
      ExportFunction onData,
      Random random,
      int keys,
      Map<String, String> model) {
    for (int from = 0; from < keys; from += 500) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (int i = from; i < from + 500; i++) {
        String v = value(random, i);
        b.writeBytes(Resp.command("SET", "k:" + i, v));
        model.put("k:" + i, v);
      }
      event(vm, alloc, onData, b.toByteArray());
    }
  }

  /** INFO persistence's reply, read from what the connection got after sending it. */
  private static String info(GuestConnection c, RecordingSink out) {
    int before = out.text(1).length();
    c.command("INFO", "persistence");
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> out.text(1).indexOf("aof_rewrite_in_progress", before) >= 0);
    return out.text(1).substring(before);
  }

  private static String value(Random random, int i) {
    char[] v = new char[100];
    Arrays.fill(v, (char) ('a' + Math.floorMod(i, 26)));
    v[0] = (char) ('A' + random.nextInt(26));
    return new String(v);
  }

  /** One data event on connection 1, as the VM delivers it. */
  private static void event(MicroVm vm, ExportFunction alloc, ExportFunction onData, byte[] data) {
    int ptr = (int) alloc.apply(data.length)[0];
    vm.memory().write(ptr, data, 0, data.length);
    onData.apply(1, ptr, data.length);
  }
}
