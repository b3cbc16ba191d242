package dev.coloha.bench;

import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.coloha.microvm.guest.WasiAbi;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prints Asyncify's run-time cost on a real server, the one thing the WASI host cannot show by
 * itself (a plain module cannot run there: its first blocking call could not unwind): the same
 * program, {@code guests/tally/tally.wasm} (an HTTP server, as clang writes it), run three ways by
 * Chicory's compiler against a stub WASI host in which nothing ever blocks, so that no unwind or
 * rewind ever happens and only the instrumentation's checks are paid:
 *
 * <ul>
 *   <li><b>plain</b>: the module as clang writes it;
 *   <li><b>-O2</b>: after {@code wasm-opt -O2} alone (Binaryen's optimiser without Asyncify, so
 *       that its own effect is not counted as Asyncify's);
 *   <li><b>asyncify</b>: after {@code wasm-opt --asyncify --pass-arg=asyncify-imports@... -O2},
 *       exactly what the coordinator runs on upload.
 * </ul>
 *
 * ({@code -Dvariants=} picks others: also {@code asyncify-O1} and {@code asyncify-O0}, Asyncify
 * followed by Binaryen's {@code -O1} or by nothing.)
 *
 * <p>The stub host hands the server one client connection and then one HTTP request per {@code
 * recv} (a non-pipelining client: each request is a {@code poll}, a {@code recv}, the server's work
 * and a {@code send}), cycling through {@code POST /hit}, {@code PUT /notes/kN} and {@code GET
 * /notes/kN} over 1,000 keys. All three must answer with the same number of bytes.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.coloha.bench.AsyncifyCostHarness \
 *     [-Dmodule=guests/tally/tally.wasm] [-Drequests=200000] [-Drounds=5] [-DwasmOpt=wasm-opt] \
 *     [-Dvariants=plain,-O2,asyncify]
 * </pre>
 */
public final class AsyncifyCostHarness {
  private static final int LISTENER = WasiAbi.LISTEN_FD;
  private static final int CLIENT = LISTENER + 1;
  private static final int EAGAIN = 6;
  private static final int ESPIPE = 70;
  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

  private AsyncifyCostHarness() {}

  public static void main(String[] args) throws Exception {
    Path module = Path.of(System.getProperty("module", "guests/tally/tally.wasm"));
    int requests = Integer.getInteger("requests", 200_000);
    int rounds = Integer.getInteger("rounds", 5);
    String wasmOpt = System.getProperty("wasmOpt", "wasm-opt");
    byte[] plain = Files.readAllBytes(module);
    String asyncify = "--pass-arg=" + WasiAbi.asyncifyImportsArg();
    Map<String, List<String>> passes =
        Map.of(
            "-O2", List.of("-O2"),
            "asyncify", List.of("--asyncify", asyncify, "-O2"),
            "asyncify-O1", List.of("--asyncify", asyncify, "-O1"),
            "asyncify-O0", List.of("--asyncify", asyncify));
    List<String> order = List.of(System.getProperty("variants", "plain,-O2,asyncify").split(","));
    Map<String, Compiled> compiled = new java.util.LinkedHashMap<>();
    for (String v : order) {
      byte[] bytes = v.equals("plain") ? plain : wasmOpt(wasmOpt, plain, passes.get(v));
      compiled.put(v, new Compiled(v, bytes));
      System.out.printf("%-11s %7d bytes%n", v, bytes.length);
    }
    System.out.printf(
        "%d requests a run, one request per recv; round 0 is a warm-up; CPU ns of the running"
            + " thread per request (not wall time: the machine may be shared):%n",
        requests);
    Map<String, List<Double>> perRequest = new java.util.LinkedHashMap<>();
    long expectedBytes = -1;
    for (int round = 0; round <= rounds; round++) {
      StringBuilder line = new StringBuilder("round " + round + ":");
      for (String v : order) {
        Run r = compiled.get(v).run(requests);
        if (expectedBytes < 0) {
          expectedBytes = r.sentBytes;
        } else if (r.sentBytes != expectedBytes) {
          throw new IllegalStateException(
              v + " answered " + r.sentBytes + " bytes, not " + expectedBytes);
        }
        double ns = (double) r.nanos / requests;
        line.append(String.format("  %s %.0f", v, ns));
        if (round > 0) {
          perRequest.computeIfAbsent(v, k -> new ArrayList<>()).add(ns);
        }
      }
      System.out.println(line);
    }
    double base = median(perRequest.get(order.get(0)));
    for (String v : order) {
      List<Double> xs = perRequest.get(v);
      double m = median(xs);
      System.out.printf(
          "%-11s median %6.0f ns/request (%.0f-%.0f), %.0f requests/s, %.2fx of %s%n",
          v,
          m,
          xs.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
          xs.stream().mapToDouble(Double::doubleValue).max().orElseThrow(),
          1e9 / m,
          m / base,
          order.get(0));
    }
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private static byte[] wasmOpt(String wasmOpt, byte[] in, List<String> passes)
      throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("asyncify-cost-");
    try {
      Path src = dir.resolve("in.wasm");
      Path out = dir.resolve("out.wasm");
      Files.write(src, in);
      List<String> cmd = new ArrayList<>(List.of(wasmOpt, src.toString()));
      cmd.addAll(passes);
      cmd.addAll(List.of("-o", out.toString()));
      Process p = new ProcessBuilder(cmd).inheritIO().start();
      if (p.waitFor() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed: " + p.exitValue());
      }
      return Files.readAllBytes(out);
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
  }

  private record Run(long nanos, long sentBytes) {}

  /** Thrown out of recv once the run's requests are served: ends {@code _start}. */
  private static final class Done extends RuntimeException {
    Done() {
      super(null, null, false, false);
    }
  }

  /** One variant, parsed and compiled once; each run is a fresh instance. */
  private static final class Compiled {
    private final String name;
    private final WasmModule module;
    private final java.util.function.Function<Instance, com.dylibso.chicory.runtime.Machine>
        machine;

    Compiled(String name, byte[] bytes) {
      this.name = name;
      this.module = Parser.parse(new ByteArrayInputStream(bytes));
      this.machine =
          MachineFactoryCompiler.builder(module)
              .withInterpreterFallback(InterpreterFallback.FAIL)
              .compile();
    }

    Run run(int requests) {
      StubHost host = new StubHost(requests);
      Instance instance =
          Instance.builder(module)
              .withImportValues(host.imports())
              .withMachineFactory(machine)
              .withStart(false)
              .build();
      long t0 = CPU.getCurrentThreadCpuTime();
      try {
        instance.export(WasiAbi.START).apply();
        throw new IllegalStateException(name + ": _start returned");
      } catch (RuntimeException e) {
        long nanos = CPU.getCurrentThreadCpuTime() - t0;
        for (Throwable t = e; t != null; t = t.getCause()) {
          if (t instanceof Done) {
            return new Run(nanos, host.sent);
          }
        }
        throw e;
      }
    }
  }

  /** A WASI host in which nothing blocks: one client whose requests are always there. */
  private static final class StubHost {
    private static final byte[] ENV = "COLO_LISTEN_FD=3\0".getBytes(StandardCharsets.US_ASCII);
    private final int requests;
    private boolean accepted;
    private int served;
    private long sent;

    StubHost(int requests) {
      this.requests = requests;
    }

    private static byte[] request(int i) {
      int key = (i / 3) % 1000;
      String r =
          switch (i % 3) {
            case 0 -> "POST /hit HTTP/1.1\r\nHost: bench\r\nContent-Length: 0\r\n\r\n";
            case 1 ->
                "PUT /notes/k"
                    + key
                    + " HTTP/1.1\r\nHost: bench\r\nContent-Length: 12\r\n\r\nvalue-"
                    + String.format("%06d", i % 1_000_000);
            default -> "GET /notes/k" + key + " HTTP/1.1\r\nHost: bench\r\n\r\n";
          };
      return r.getBytes(StandardCharsets.US_ASCII);
    }

    ImportValues imports() {
      List<ImportFunction> fns = new ArrayList<>();
      for (var e : WasiAbi.IMPORTS.entrySet()) {
        String name = e.getKey();
        fns.add(
            new HostFunction(
                WasiAbi.IMPORT_MODULE,
                name,
                e.getValue(),
                (inst, a) -> {
                  Memory m = inst.memory();
                  int result = call(name, m, a);
                  return e.getValue().returns().isEmpty() ? null : new long[] {result};
                }));
      }
      return ImportValues.builder().withFunctions(fns).build();
    }

    private int call(String name, Memory m, long[] a) {
      switch (name) {
        case "environ_sizes_get" -> {
          m.writeI32((int) a[0], 1);
          m.writeI32((int) a[1], ENV.length);
          return 0;
        }
        case "environ_get" -> {
          m.writeI32((int) a[0], (int) a[1]);
          m.write((int) a[1], ENV);
          return 0;
        }
        case "args_sizes_get" -> {
          m.writeI32((int) a[0], 0);
          m.writeI32((int) a[1], 0);
          return 0;
        }
        case "clock_time_get" -> {
          m.writeLong(
              (int) a[2], a[0] == 0 ? System.currentTimeMillis() * 1_000_000L : System.nanoTime());
          return 0;
        }
        case "fd_write" -> {
          m.writeI32((int) a[3], iovecBytes(m, (int) a[1], (int) a[2]));
          return 0;
        }
        case "sock_send" -> {
          int n = iovecBytes(m, (int) a[1], (int) a[2]);
          sent += n;
          m.writeI32((int) a[4], n);
          return 0;
        }
        case "sock_accept" -> {
          if (accepted) {
            return EAGAIN;
          }
          accepted = true;
          m.writeI32((int) a[2], CLIENT);
          return 0;
        }
        case "sock_recv" -> {
          if (served == requests) {
            throw new Done();
          }
          byte[] r = request(served++);
          int iov = (int) a[1];
          if ((int) a[2] < 1 || m.readInt(iov + 4) < r.length) {
            throw new IllegalStateException("recv buffer too small");
          }
          m.write(m.readInt(iov), r);
          m.writeI32((int) a[4], r.length);
          m.writeShort((int) a[5], (short) 0);
          return 0;
        }
        case "poll_oneoff" -> {
          return poll(m, (int) a[0], (int) a[1], (int) a[2], (int) a[3]);
        }
        case "fd_close", "fd_fdstat_set_flags" -> {
          return 0;
        }
        case "fd_seek" -> {
          return ESPIPE;
        }
        case "proc_exit" -> throw new IllegalStateException("exited with " + a[0]);
        default -> throw new IllegalStateException("unexpected WASI call " + name);
      }
    }

    private static int iovecBytes(Memory m, int iovs, int count) {
      int n = 0;
      for (int i = 0; i < count; i++) {
        n += m.readInt(iovs + 8 * i + 4);
      }
      return n;
    }

    /** Every fd subscription is ready except the listener once the client is accepted. */
    private int poll(Memory m, int in, int out, int subscriptions, int eventsPtr) {
      int events = 0;
      for (int i = 0; i < subscriptions; i++) {
        int sub = in + 48 * i;
        long userdata = m.readLong(sub);
        int tag = m.read(sub + 8);
        int fd = m.readInt(sub + 16);
        if (tag == 0 || (fd == LISTENER && accepted)) {
          continue; // a clock, or nothing to accept: never due while something else is ready
        }
        int ev = out + 32 * events++;
        m.writeLong(ev, userdata);
        m.writeShort(ev + 8, (short) 0);
        m.writeByte(ev + 10, (byte) tag);
        m.writeLong(ev + 16, 1);
        m.writeShort(ev + 24, (short) 0);
      }
      if (events == 0) {
        throw new IllegalStateException("the server would block");
      }
      m.writeI32(eventsPtr, events);
      return 0;
    }
  }
}
