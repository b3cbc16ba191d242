package dev.coloha.bench;

import com.dylibso.chicory.runtime.ExportFunction;
import dev.coloha.agent.disk.MirrorBlockDevice;
import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.OutputSink;
import dev.coloha.microvm.VmConfig;
import dev.coloha.microvm.VmEnvironment;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.guest.GuestAbi;
import dev.coloha.microvm.guest.GuestLoader;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.wire.block.BlockClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the kv guest's log costs the VM thread per SET (issue 18): the CPU time of the VM's thread
 * (not wall time, so that other work on the machine shows little) per SET of the compiled kv guest
 * with a disk and without one, for events of one SET (no pipelining) and of 16 (redis-benchmark
 * {@code -P 16}). The disk is a device that takes every write and keeps nothing (reads return
 * zeros: a blank disk at boot), so the figures are the guest's own log work and its {@code
 * disk_write} host calls, without any device. When {@code disk-mirror/target} has the mirror's exec
 * jar, a third case ("mirror") runs the agent's device path too: a {@link MirrorBlockDevice}
 * (write-behind on the I/O stream) over the Unix-domain socket of a mirror process started here, a
 * new volume per run; the VM thread's CPU then includes copying each write into the held write, the
 * queue's bookkeeping and the sends it makes itself (the stream's reply thread and the mirror are
 * not counted). Each module given on the command line (a {@code kv.wasm} file, e.g. an older build)
 * runs next to the one in the micro-VM's jar, alternating, so that they see the same machine.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.coloha.bench.KvLogCostHarness [SETS] [ROUNDS] [kv.wasm...]
 * </pre>
 */
public final class KvLogCostHarness {
  private KvLogCostHarness() {}

  /** A 64 MiB disk that keeps nothing: blank when read, every write accepted and forgotten. */
  private static final class NullDisk implements BlockDevice {
    @Override
    public long sizeBytes() {
      return 64L << 20;
    }

    @Override
    public void read(long offset, byte[] dst, int dstOffset, int length) {
      Arrays.fill(dst, dstOffset, dstOffset + length, (byte) 0);
    }

    @Override
    public void write(long offset, byte[] src, int srcOffset, int length) {}

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  public static void main(String[] args) throws Exception {
    int sets = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    GuestLoader loader = new GuestLoader(16 << 20, java.util.Set.of(GuestAbi.VERSION), true);
    Map<String, GuestModule> modules = new LinkedHashMap<>();
    try (InputStream in = KvLogCostHarness.class.getResourceAsStream("/guests/kv/kv.wasm")) {
      modules.put("kv.wasm (this build)", loader.load("kv", in.readAllBytes()));
    }
    for (int i = 2; i < args.length; i++) {
      modules.put(args[i], loader.load("kv", Files.readAllBytes(Path.of(args[i]))));
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    int[] pipelines = {1, 16};
    Path tmp = Files.createTempDirectory("kv-log-cost");
    MirrorWriteHarness.Node mirror = startMirror(tmp);
    List<String> disks = new ArrayList<>(List.of("no disk", "disk"));
    if (mirror != null) {
      disks.add("mirror");
    }
    Map<String, List<Double>> results = new LinkedHashMap<>();
    try {
      for (int r = 0; r <= rounds; r++) { // round 0 warms up
        for (var m : modules.entrySet()) {
          for (String disk : disks) {
            for (int p : pipelines) {
              // the VM closes its disk when it stops
              double us = run(m.getValue(), device(disk, mirror), p, sets, threads);
              if (r > 0) {
                results
                    .computeIfAbsent(m.getKey() + "|" + disk + "|" + p, k -> new ArrayList<>())
                    .add(us);
              }
            }
          }
        }
      }
    } finally {
      if (mirror != null) {
        mirror.close();
      }
      try (var files = Files.walk(tmp)) {
        for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
    System.out.printf(
        "VM thread CPU per SET, µs (median of %d rounds of %,d SETs; load average now %.1f)%n%n",
        rounds, sets, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    System.out.println("| guest | disk | SETs per event | CPU µs per SET | rounds |");
    System.out.println("|---|---|---|---|---|");
    for (var e : results.entrySet()) {
      String[] k = e.getKey().split("\\|");
      List<Double> v = new ArrayList<>(e.getValue());
      v.sort(null);
      StringBuilder all = new StringBuilder();
      for (double x : e.getValue()) {
        all.append(all.isEmpty() ? "" : ", ").append(String.format("%.2f", x));
      }
      System.out.printf(
          "| %s | %s | %s | %.2f | %s |%n", k[0], k[1], k[2], v.get(v.size() / 2), all);
    }
  }

  /** A mirror process for the "mirror" case, or null without its exec jar (not built). */
  private static MirrorWriteHarness.Node startMirror(Path tmp) throws Exception {
    Path jar;
    try {
      jar = MirrorWriteHarness.findJar();
    } catch (IOException | IllegalStateException e) {
      System.out.println("no disk-mirror exec jar: the \"mirror\" case does not run");
      return null;
    }
    return MirrorWriteHarness.Node.start(jar, tmp.resolve("mirror"), "INTERVAL");
  }

  private static int volumes;

  /** The case's disk: none, one that keeps nothing, or a new volume on the mirror. */
  private static BlockDevice device(String disk, MirrorWriteHarness.Node mirror) throws Exception {
    return switch (disk) {
      case "disk" -> new NullDisk();
      case "mirror" -> {
        String volume = "kvlog-" + ++volumes;
        mirror.post("/v1/volumes", "{\"id\":\"" + volume + "\",\"sizeBytes\":" + (64L << 20) + "}");
        yield MirrorBlockDevice.open(mirror.socket(), volume, 0, BlockClient.Options.defaults());
      }
      default -> BlockDevice.NONE;
    };
  }

  /** CPU µs of the VM's thread per SET over {@code sets} SETs in events of {@code pipeline}. */
  private static double run(
      GuestModule module, BlockDevice disk, int pipeline, int sets, ThreadMXBean threads)
      throws IOException {
    MicroVm vm =
        MicroVm.create(
            "kv-log-cost",
            module,
            VmConfig.defaults().withMemoryLimit(256L << 20),
            VmEnvironment.of(disk, OutputSink.DISCARD));
    vm.start();
    try {
      vm.submit(new InputEvent.Open(1));
      while (!vm.idle()) {
        Thread.onSpinWait();
      }
      byte[][] events = new byte[1024][];
      int n = 0;
      for (int i = 0; i < events.length; i++) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int j = 0; j < pipeline; j++, n++) {
          // redis-benchmark -r 100000's keys: "key:__rand_int__" with 12 digits
          String key = "key:" + String.format("%012d", n % 100_000);
          b.writeBytes(
              ("*3\r\n$3\r\nSET\r\n$" + key.length() + "\r\n" + key + "\r\n$3\r\nxxx\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
        }
        events[i] = b.toByteArray();
      }
      int count = sets / pipeline;
      return vm.atBoundary(
          "log cost",
          () -> {
            ExportFunction alloc = vm.instance().export("colo_alloc");
            ExportFunction onData = vm.instance().export("colo_on_data");
            long start = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < count; i++) {
              byte[] c = events[i & (events.length - 1)];
              int ptr = (int) alloc.apply(c.length)[0];
              vm.memory().write(ptr, c, 0, c.length);
              onData.apply(1, ptr, c.length);
            }
            return (threads.getCurrentThreadCpuTime() - start) / 1000.0 / (count * pipeline);
          });
    } finally {
      vm.stop();
    }
  }
}
