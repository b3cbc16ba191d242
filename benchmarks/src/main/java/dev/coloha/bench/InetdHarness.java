package dev.coloha.bench;

import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.OutputSink;
import dev.coloha.microvm.VmConfig;
import dev.coloha.microvm.VmEnvironment;
import dev.coloha.microvm.VmStats;
import dev.coloha.microvm.WasiLaunch;
import dev.coloha.microvm.checkpoint.CaptureKind;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.device.FileBlockDevice;
import dev.coloha.microvm.device.FlushPolicy;
import dev.coloha.microvm.guest.GuestLoader;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.microvm.guest.WasmOptAsyncify;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prints what an inetd program's connection costs in the micro-VM: Debian's micro-httpd (unchanged,
 * {@code guests/third-party/micro-httpd}) serves one HTTP/1.0 request per connection, each by a
 * fresh instance (memory and globals put back, then {@code _start}). Connections are sent one after
 * the other (the next once the previous closed); with {@code checkpoint}, a delta checkpoint is
 * captured after each, which shows the pages one connection dirties.
 *
 * <pre>java -Xss16m -cp benchmarks/target/benchmarks.jar dev.coloha.bench.InetdHarness</pre>
 *
 * Run from the repository's root (it reads the module from {@code guests/}); needs {@code wasm-opt}
 * (Binaryen) to instrument it, as the coordinator does on upload.
 */
public final class InetdHarness {
  private static final int CONNECTIONS = 2_000;

  private InetdHarness() {}

  public static void main(String[] args) throws Exception {
    GuestLoader loader =
        new GuestLoader(
            16 << 20, Set.of(1), true, WasmOptAsyncify.locate("wasm-opt", Duration.ofMinutes(2)));
    GuestModule httpd =
        loader.load(
            "micro-httpd",
            Files.readAllBytes(Path.of("guests/third-party/micro-httpd/micro-httpd.wasm")));
    for (int run = 0; run < 3; run++) {
      for (String path : List.of("/hello.txt", "/missing", "/")) {
        for (boolean checkpoint : new boolean[] {false, true}) {
          measure(httpd, path, checkpoint, run == 0);
        }
      }
    }
  }

  private static void measure(GuestModule httpd, String path, boolean checkpoint, boolean warmUp)
      throws Exception {
    Set<Integer> closed = ConcurrentHashMap.newKeySet();
    OutputSink sink =
        new OutputSink() {
          @Override
          public void output(int conn, long interval, long offset, byte[] bytes) {}

          @Override
          public void closed(int conn, long interval, long endOffset) {
            closed.add(conn);
          }
        };
    Path image = Files.createTempFile("inetd", ".img");
    try {
      BlockDevice disk = FileBlockDevice.open(image, 4L << 20, FlushPolicy.OS); // the VM closes it
      MicroVm vm =
          MicroVm.create(
              "inetd",
              httpd,
              VmConfig.defaults().withMemoryLimit(16L << 20),
              VmEnvironment.of(disk, sink)
                  .withLaunch(
                      new WasiLaunch(
                          List.of("/data"),
                          Map.of(),
                          WasiLaunch.Network.INETD,
                          Map.of("hello.txt", "hello\n", "b.txt", "b\n"))));
      vm.start();
      byte[] request =
          ("GET " + path + " HTTP/1.0\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      long pages = 0;
      long pauseNanos = 0;
      long sequence = 0;
      if (checkpoint) {
        vm.capture(1, sequence++, CaptureKind.FULL, false).release();
      }
      VmStats before = vm.stats();
      long t0 = System.nanoTime();
      for (int c = 1; c <= CONNECTIONS; c++) {
        vm.submit(new InputEvent.Open(c));
        vm.submit(new InputEvent.Data(c, 0, request));
        vm.submit(new InputEvent.Close(c, request.length));
        while (!closed.contains(c)) {
          Thread.onSpinWait();
        }
        if (checkpoint) {
          Captured cp = vm.capture(1, sequence++, CaptureKind.DELTA, false);
          pages += cp.checkpoint().pageIndices().length;
          pauseNanos += cp.pauseNanos();
          cp.release();
        }
      }
      long wall = System.nanoTime() - t0;
      VmStats after = vm.stats();
      vm.stop();
      if (warmUp) {
        return;
      }
      double guestUs = (after.guestNanos() - before.guestNanos()) / 1e3 / CONNECTIONS;
      System.out.printf(
          "GET %-11s %-13s %7.0f connections/s wall, %7.1f us guest time per connection%s%n",
          path,
          checkpoint ? "+ checkpoint" : "",
          CONNECTIONS / (wall / 1e9),
          guestUs,
          checkpoint
              ? String.format(
                  ", %.1f dirty 4 KiB pages and %.1f us capture pause per connection",
                  (double) pages / CONNECTIONS, pauseNanos / 1e3 / CONNECTIONS)
              : "");
    } finally {
      Files.deleteIfExists(image);
    }
  }
}
