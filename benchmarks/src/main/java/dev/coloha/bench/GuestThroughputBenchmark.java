package dev.coloha.bench;

import com.dylibso.chicory.runtime.ExportFunction;
import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.OutputSink;
import dev.coloha.microvm.VmConfig;
import dev.coloha.microvm.VmEnvironment;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.guest.GuestCatalog;
import dev.coloha.microvm.guest.GuestLoader;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Guest operations per second of the compiled kv guest, with and without dirty-page tracking. One
 * operation is one guest event: a buffer from colo_alloc, then colo_on_data with one SET or GET
 * command, exactly as the VM thread delivers input (output goes through the real send import to a
 * discarding sink). The events run in a batch on the VM's own thread, at an event boundary.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xss16m"})
public class GuestThroughputBenchmark {
  private static final int BATCH = 1000;

  @Param({"true", "false"})
  public boolean tracking;

  private MicroVm vm;
  private byte[][] commands;
  private int next;

  @Setup(Level.Trial)
  public void setUp() {
    GuestCatalog catalog =
        new GuestCatalog(new GuestLoader(16 << 20, Set.of(1), true), Optional.empty());
    vm =
        MicroVm.create(
            "bench",
            catalog.get("kv"),
            VmConfig.defaults().withMemoryLimit(256L << 20).withDirtyTracking(tracking),
            VmEnvironment.of(BlockDevice.NONE, OutputSink.DISCARD));
    vm.start();
    vm.submit(new InputEvent.Open(1));
    while (!vm.idle()) {
      Thread.onSpinWait();
    }
    commands = new byte[4096][];
    for (int i = 0; i < commands.length; i++) {
      String key = "key:" + (i % 1000);
      String cmd =
          i % 2 == 0
              ? "*3\r\n$3\r\nSET\r\n$"
                  + key.length()
                  + "\r\n"
                  + key
                  + "\r\n$8\r\nvalue-"
                  + String.format("%02d", i % 100)
                  + "\r\n"
              : "*2\r\n$3\r\nGET\r\n$" + key.length() + "\r\n" + key + "\r\n";
      commands[i] = cmd.getBytes(StandardCharsets.US_ASCII);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    vm.stop();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int events() {
    return vm.atBoundary(
        "benchmark batch",
        () -> {
          ExportFunction alloc = vm.instance().export("colo_alloc");
          ExportFunction onData = vm.instance().export("colo_on_data");
          int sum = 0;
          for (int i = 0; i < BATCH; i++) {
            byte[] c = commands[next++ & (commands.length - 1)];
            int ptr = (int) alloc.apply(c.length)[0];
            vm.memory().write(ptr, c, 0, c.length);
            onData.apply(1, ptr, c.length);
            sum += ptr;
          }
          return sum;
        });
  }
}
