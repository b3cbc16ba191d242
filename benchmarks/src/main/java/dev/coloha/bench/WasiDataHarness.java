package dev.coloha.bench;

import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.VmConfig;
import dev.coloha.microvm.VmEnvironment;
import dev.coloha.microvm.VmStats;
import dev.coloha.microvm.WasiLaunch;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.device.FileBlockDevice;
import dev.coloha.microvm.device.FlushPolicy;
import dev.coloha.microvm.guest.GuestLoader;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.microvm.guest.WasmOptAsyncify;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prints what {@code /data} costs a WASI program: kv-wasi (plain module, instrumented as the
 * coordinator does on upload) in one micro-VM answers 20,000 SETs (100 pipelined per delivery)
 * without a disk (its log off: it serves from memory), with a disk (its append-only log in {@code
 * /data/colo-disk}, kv's default {@code appendfsync}), and with {@code appendfsync always} (an
 * {@code fsync} of {@code /data} before every reply) on a disk whose flush is the page cache's
 * ({@code OS}) or a real {@code fsync} ({@code FSYNC}).
 *
 * <pre>java -Xss16m -cp benchmarks/target/benchmarks.jar dev.coloha.bench.WasiDataHarness</pre>
 *
 * Run from the repository's root; needs {@code wasm-opt}.
 */
public final class WasiDataHarness {
  private static final int SETS = 20_000;
  private static final int PIPELINE = 100;

  private WasiDataHarness() {}

  private record Setup(String name, boolean disk, FlushPolicy flush, boolean always) {}

  public static void main(String[] args) throws Exception {
    GuestLoader loader =
        new GuestLoader(
            16 << 20, Set.of(1), true, WasmOptAsyncify.locate("wasm-opt", Duration.ofMinutes(2)));
    GuestModule kv = loader.load("kv-wasi", Files.readAllBytes(Path.of("guests/kv/kv-wasi.wasm")));
    List<Setup> setups =
        List.of(
            new Setup("no disk (memory only)", false, FlushPolicy.OS, false),
            new Setup("/data, default appendfsync", true, FlushPolicy.OS, false),
            new Setup("/data, always, OS flush", true, FlushPolicy.OS, true),
            new Setup("/data, always, fsync", true, FlushPolicy.FSYNC, true));
    for (int run = 0; run < 3; run++) {
      for (Setup s : setups) {
        measure(kv, s, run == 0);
      }
    }
  }

  private static void measure(GuestModule kv, Setup setup, boolean warmUp) throws Exception {
    AnswerLines sink = new AnswerLines();
    Path image = Files.createTempFile("wasi-data", ".img");
    try {
      BlockDevice disk =
          setup.disk()
              ? FileBlockDevice.open(image, 64L << 20, setup.flush()) // the VM closes it
              : BlockDevice.NONE;
      MicroVm vm =
          MicroVm.create(
              "kvd",
              kv,
              VmConfig.defaults().withMemoryLimit(64L << 20),
              VmEnvironment.of(disk, sink).withLaunch(new WasiLaunch(List.of(), Map.of())));
      vm.start();
      vm.submit(new InputEvent.Open(1));
      long offset = 0;
      if (setup.always()) {
        byte[] config = resp("CONFIG", "SET", "appendfsync", "always");
        vm.submit(new InputEvent.Data(1, offset, config));
        offset += config.length;
        sink.spinUntil(1);
      }
      long base = sink.count();
      VmStats before = vm.stats();
      long t0 = System.nanoTime();
      for (int sent = 0; sent < SETS; sent += PIPELINE) {
        long want = base + sent;
        sink.spinUntil(want);
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        for (int i = sent; i < sent + PIPELINE; i++) {
          batch.writeBytes(resp("SET", "key:" + i, "value-" + i + "-" + "x".repeat(32)));
        }
        byte[] b = batch.toByteArray();
        vm.submit(new InputEvent.Data(1, offset, b));
        offset += b.length;
      }
      sink.await(base + SETS, Duration.ofMinutes(5));
      long wall = System.nanoTime() - t0;
      VmStats after = vm.stats();
      vm.stop();
      if (warmUp) {
        return;
      }
      System.out.printf(
          "%-28s %8.0f SETs/s wall, %6.2f us guest time per SET%n",
          setup.name(),
          SETS / (wall / 1e9),
          (after.guestNanos() - before.guestNanos()) / 1e3 / SETS);
    } finally {
      Files.deleteIfExists(image);
    }
  }

  private static byte[] resp(String... args) {
    StringBuilder b = new StringBuilder("*").append(args.length).append("\r\n");
    for (String a : args) {
      b.append('$').append(a.length()).append("\r\n").append(a).append("\r\n");
    }
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }
}
