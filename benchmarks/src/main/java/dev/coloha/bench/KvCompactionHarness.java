package dev.coloha.bench;

import com.dylibso.chicory.runtime.ExportFunction;
import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.OutputSink;
import dev.coloha.microvm.VmConfig;
import dev.coloha.microvm.VmEnvironment;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.guest.GuestAbi;
import dev.coloha.microvm.guest.GuestLoader;
import dev.coloha.microvm.guest.GuestModule;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The longest event of the kv guest while its log compacts (issue 15): the guest is loaded with
 * about {@code MB} megabytes of live data (unique keys, 100-byte values, SETs in events of 16),
 * then keeps overwriting random keys in events of 16 SETs until its log has switched regions (the
 * header is written). For the events from the first write into the other region to the switch it
 * prints their number, the longest one's VM thread CPU time (not wall time) and the most bytes one
 * of them wrote; and the longest event outside the compaction for comparison. The disk is 64 MiB
 * (the lab's), takes every write and keeps nothing. Each module given on the command line (e.g. an
 * older {@code kv.wasm}) runs after the one in the micro-VM's jar.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.coloha.bench.KvCompactionHarness [MB] [kv.wasm...]
 * </pre>
 */
public final class KvCompactionHarness {
  private KvCompactionHarness() {}

  private static final long DISK = 64L << 20;
  private static final long REGION_ONE = 1024 + (((DISK - 1024) / 2) & ~511L);

  /** A disk that keeps nothing and counts the bytes written, to the header and the other region. */
  private static final class CountingNullDisk implements BlockDevice {
    long written;
    long regionOne;
    int headers;

    @Override
    public long sizeBytes() {
      return DISK;
    }

    @Override
    public void read(long offset, byte[] dst, int dstOffset, int length) {
      Arrays.fill(dst, dstOffset, dstOffset + length, (byte) 0);
    }

    @Override
    public void write(long offset, byte[] src, int srcOffset, int length) {
      written += length;
      if (offset < 1024) {
        headers++;
      } else if (offset >= REGION_ONE) {
        regionOne += length;
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  record Result(
      int events, long maxCpuNanos, long maxBytes, long maxOtherCpuNanos, long liveKeys) {}

  public static void main(String[] args) throws Exception {
    int mb = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    GuestLoader loader = new GuestLoader(16 << 20, java.util.Set.of(GuestAbi.VERSION), true);
    Map<String, GuestModule> modules = new LinkedHashMap<>();
    try (InputStream in = KvCompactionHarness.class.getResourceAsStream("/guests/kv/kv.wasm")) {
      modules.put("kv.wasm (this build)", loader.load("kv", in.readAllBytes()));
    }
    for (int i = 1; i < args.length; i++) {
      modules.put(args[i], loader.load("kv", Files.readAllBytes(Path.of(args[i]))));
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    run(modules.values().iterator().next(), 2, threads); // warm up
    System.out.printf(
        "kv log compaction of ~%d MB of live data, events of 16 SETs (load average now %.1f)%n%n",
        mb, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    System.out.println(
        "| guest | live keys | events of the compaction | longest of them, CPU ms |"
            + " most bytes one wrote | longest other event, CPU ms |");
    System.out.println("|---|---|---|---|---|---|");
    for (var m : modules.entrySet()) {
      Result r = run(m.getValue(), mb, threads);
      System.out.printf(
          "| %s | %,d | %,d | %.1f | %,d | %.1f |%n",
          m.getKey(),
          r.liveKeys(),
          r.events(),
          r.maxCpuNanos() / 1e6,
          r.maxBytes(),
          r.maxOtherCpuNanos() / 1e6);
    }
  }

  private static byte[] set(String key, String value) {
    return ("*3\r\n$3\r\nSET\r\n$"
            + key.length()
            + "\r\n"
            + key
            + "\r\n$"
            + value.length()
            + "\r\n"
            + value
            + "\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static Result run(GuestModule module, int mb, ThreadMXBean threads) {
    CountingNullDisk disk = new CountingNullDisk();
    MicroVm vm =
        MicroVm.create(
            "kv-compaction",
            module,
            VmConfig.defaults().withMemoryLimit(256L << 20),
            VmEnvironment.of(disk, OutputSink.DISCARD));
    vm.start();
    try {
      vm.submit(new InputEvent.Open(1));
      while (!vm.idle()) {
        Thread.onSpinWait();
      }
      String value = "v".repeat(100);
      int keys = (int) ((long) mb * 1_000_000 / 150); // a SET of 100 bytes is ~150 bytes of log
      return vm.atBoundary(
          "compaction",
          () -> {
            ExportFunction alloc = vm.instance().export("colo_alloc");
            ExportFunction onData = vm.instance().export("colo_on_data");
            SplittableRandom random = new SplittableRandom(15);
            int headers = disk.headers;
            int events = 0;
            long maxCpu = 0;
            long maxBytes = 0;
            long maxOther = 0;
            for (int n = 0; disk.headers == headers && n < 10_000_000; ) {
              ByteArrayOutputStream b = new ByteArrayOutputStream();
              for (int j = 0; j < 16; j++, n++) {
                int k = n < keys ? n : random.nextInt(keys);
                b.writeBytes(set("key:" + k, value));
              }
              byte[] c = b.toByteArray();
              boolean compacting = disk.regionOne > 0;
              long bytes = disk.written;
              long start = threads.getCurrentThreadCpuTime();
              int ptr = (int) alloc.apply(c.length)[0];
              vm.memory().write(ptr, c, 0, c.length);
              onData.apply(1, ptr, c.length);
              long cpu = threads.getCurrentThreadCpuTime() - start;
              if (compacting || disk.regionOne > 0) {
                events++;
                maxCpu = Math.max(maxCpu, cpu);
                maxBytes = Math.max(maxBytes, disk.written - bytes);
              } else {
                maxOther = Math.max(maxOther, cpu);
              }
            }
            return new Result(events, maxCpu, maxBytes, maxOther, keys);
          });
    } finally {
      vm.stop();
    }
  }
}
