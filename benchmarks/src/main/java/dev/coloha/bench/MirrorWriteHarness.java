package dev.coloha.bench;

import dev.coloha.microvm.device.FileBlockDevice;
import dev.coloha.microvm.device.FlushPolicy;
import dev.coloha.wire.block.BlockClient;
import dev.coloha.wire.block.WriteBehind;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Write throughput and latency of a VM disk through the disk mirror against the file backend, and
 * the replication lag under load. Starts two real mirror processes (the primary's host and the
 * secondary's) from {@code disk-mirror/target/disk-mirror-*-exec.jar}, on loopback.
 *
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks,disk-mirror -am
 * java -cp benchmarks/target/benchmarks.jar dev.coloha.bench.MirrorWriteHarness [writes] [policy]
 * java -cp benchmarks/target/benchmarks.jar dev.coloha.bench.MirrorWriteHarness 150000 INTERVAL commit
 * </pre>
 *
 * <p>Every case writes {@code writes} blocks (after a warm-up) at sequential offsets of a 256 MiB
 * volume, one at a time as a guest does (the VM thread waits for each), with the same flush policy
 * everywhere (default INTERVAL, the agent's default). "mirror" is a synchronous call per write over
 * the loopback HTTP stream, "mirror unix" the same over the mirror's Unix-domain socket.
 *
 * <p>"kv" is what the kv guest does per command without pipelining (a batch of one command): the
 * log's partially filled tail sector rewritten with the new 48-byte record appended (one write of
 * one or two sectors; the header is written only when the log rolls), then, under {@code
 * appendfsync everysec}, a flush at most once a second, under {@code always} a flush per command.
 * "kv3" is the guest before it (issue 18): a 512-byte log write and the header written to its two
 * slots per command. The mirror cases go through the agent's device path, {@link WriteBehind}
 * (writes held and queued, a flush waits for them), each on a new volume as the file backend's case
 * is on a new image. With a third argument {@code kv} only these cases run; with {@code always
 * [ROUNDS]} only {@code kv always} through the file and the mirror's socket, paired per round (see
 * {@link #alwaysPaired}).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.coloha.bench.MirrorWriteHarness 1000 FSYNC always 9
 * </pre>
 *
 * <p>Over 400 lines on purpose: one harness, its setups, runs and the figures it prints, read top
 * to bottom like the table in docs/benchmarks.md it produces.
 */
public final class MirrorWriteHarness {
  private static final long VOLUME = 256L << 20;
  private static final Pattern LAG_BYTES = Pattern.compile("\"lagBytes\":(\\d+)");
  private static final Pattern LAG_SECONDS = Pattern.compile("\"lagSeconds\":([0-9.Ee-]+)");
  private static final Pattern STATE = Pattern.compile("\"state\":\"([A-Z_]+)\"");

  private MirrorWriteHarness() {}

  /** One way of writing a block. */
  private interface Disk extends AutoCloseable {
    void write(long offset, byte[] data) throws Exception;

    void flush() throws Exception;

    /** Marks a checkpoint's disk barrier (the primary's VM at its pause). */
    default void barrier(long n) throws Exception {}

    @Override
    void close() throws Exception;
  }

  /**
   * Checkpoints as COLO takes them: every {@code every} writes the primary marks a barrier and the
   * secondary's mirror commits it (asynchronously, as the secondary's agent would after the apply),
   * which keeps the secondary's journal of hidden writes bounded.
   */
  private static final class Checkpoints implements AutoCloseable {
    private final Node secondary;
    private final String volume;
    private final int every;
    private static long next; // barriers rise across every run on the volume
    private final ExecutorService committer = Executors.newSingleThreadExecutor();
    private long count;

    Checkpoints(Node secondary, String volume, int every) {
      this.secondary = secondary;
      this.volume = volume;
      this.every = every;
    }

    void wrote(Disk disk) throws Exception {
      if (++count % every == 0) {
        long n = next++;
        disk.barrier(n);
        committer.submit(
            () -> {
              secondary.post(
                  "/v1/volumes/" + volume + "/commit", "{\"epoch\":0,\"barrier\":" + n + "}");
              return null;
            });
      }
    }

    @Override
    public void close() throws Exception {
      committer.shutdown();
      committer.awaitTermination(5, TimeUnit.MINUTES);
    }
  }

  private record Result(String name, int block, int writes, double seconds, long[] nanos) {
    double mbPerSecond() {
      return (double) block * writes / seconds / (1 << 20);
    }

    double perSecond() {
      return writes / seconds;
    }

    double percentile(double p) {
      long[] sorted = nanos.clone();
      Arrays.sort(sorted);
      return sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))] / 1000.0;
    }
  }

  public static void main(String[] args) throws Exception {
    int writes = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    String policy = args.length > 1 ? args[1] : "INTERVAL";
    boolean lagOnly = args.length > 2 && args[2].equals("lag");
    boolean commitOnly = args.length > 2 && args[2].equals("commit");
    boolean kvOnly = args.length > 2 && args[2].equals("kv");
    boolean replicaOnly = args.length > 2 && args[2].equals("replica");
    boolean alwaysOnly = args.length > 2 && args[2].equals("always");
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 7;
    Path jar = findJar();
    Path tmp = Files.createTempDirectory("mirror-bench");
    System.out.printf(
        "writes per case: %,d; flush policy: %s; mirror: %s%n", writes, policy, jar.getFileName());
    try (Node secondary = Node.start(jar, tmp.resolve("s"), policy);
        Node primary = Node.start(jar, tmp.resolve("p"), policy)) {
      primary.post("/v1/volumes", "{\"id\":\"solo\",\"sizeBytes\":" + VOLUME + "}");
      primary.post("/v1/volumes", "{\"id\":\"pair\",\"sizeBytes\":" + VOLUME + "}");
      secondary.post(
          "/v1/volumes", "{\"id\":\"pair\",\"sizeBytes\":" + VOLUME + ",\"role\":\"SECONDARY\"}");
      primary.post(
          "/v1/volumes/pair/resync",
          "{\"secondaryUrl\":\"" + secondary.url() + "\",\"secondaryVolume\":\"pair\"}");
      primary.awaitState("pair", "REPLICATING");

      if (commitOnly) {
        commitPause(primary, secondary, writes);
        return;
      }
      if (replicaOnly) {
        replicaCpu(primary, secondary, writes);
        return;
      }
      if (alwaysOnly) {
        alwaysPaired(primary, tmp, writes, FlushPolicy.valueOf(policy), rounds);
        return;
      }
      if (!lagOnly) {
        List<Result> results = new ArrayList<>();
        FlushPolicy fp = FlushPolicy.valueOf(policy);
        for (int block : kvOnly ? new int[0] : new int[] {512, 4096, 65536}) {
          int n = block == 65536 ? writes / 4 : writes;
          Path image = tmp.resolve("file-" + block + ".img");
          results.add(run("file", block, n, fileDisk(image, fp), null));
          results.add(run("mirror", block, n, mirrorDisk(URI.create(primary.url()), "solo"), null));
          results.add(run("mirror unix", block, n, mirrorDisk(primary.socket(), "solo"), null));
          try (Checkpoints cps = new Checkpoints(secondary, "pair", 500)) {
            results.add(
                run(
                    "mirror+replica",
                    block,
                    n,
                    mirrorDisk(URI.create(primary.url()), "pair"),
                    cps));
          }
          primary.awaitDrained("pair");
        }
        for (boolean v1 : new boolean[] {false, true}) {
          for (boolean always : new boolean[] {false, true}) {
            int n = always && fp == FlushPolicy.FSYNC ? Math.min(writes, 2_000) : writes;
            String img = "file-kv-" + v1 + always + ".img";
            // a new image for each case, the file's and the mirror's alike (both sparse files of
            // 256 MiB, fdatasync at a flush): the log's writes allocate blocks in every case
            results.add(runKv("file", n, fileDisk(tmp.resolve(img), fp), null, always, v1));
            results.add(
                runKv(
                    "mirror http",
                    n,
                    writeBehind(URI.create(primary.url()), newVolume(primary)),
                    null,
                    always,
                    v1));
            results.add(
                runKv(
                    "mirror unix",
                    n,
                    writeBehind(primary.socket(), newVolume(primary)),
                    null,
                    always,
                    v1));
            try (Checkpoints cps = new Checkpoints(secondary, "pair", 500)) {
              results.add(
                  runKv(
                      "mirror+replica unix",
                      n,
                      writeBehind(primary.socket(), "pair"),
                      cps,
                      always,
                      v1));
            }
            primary.awaitDrained("pair");
          }
        }
        print(results);
        if (kvOnly) {
          return;
        }
      }

      System.out.println();
      System.out.println("replication lag under load (a checkpoint every 200 writes):");
      lagUnderLoad(primary, secondary, writes, 4096, 1);
      lagUnderLoad(primary, secondary, writes / 4, 65536, 16);
    } finally {
      try (Stream<Path> files = Files.walk(tmp)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private static int volumes;

  /** A new unreplicated volume of {@link #VOLUME} bytes on {@code mirror}: its id. */
  private static String newVolume(Node mirror) throws Exception {
    String id = "kv-" + ++volumes;
    mirror.post("/v1/volumes", "{\"id\":\"" + id + "\",\"sizeBytes\":" + VOLUME + "}");
    return id;
  }

  private static Disk fileDisk(Path image, FlushPolicy policy) throws IOException {
    FileBlockDevice d = FileBlockDevice.open(image, VOLUME, policy);
    return new Disk() {
      @Override
      public void write(long offset, byte[] data) throws IOException {
        d.write(offset, data, 0, data.length);
      }

      @Override
      public void flush() throws IOException {
        d.flush();
      }

      @Override
      public void close() throws IOException {
        d.close();
      }
    };
  }

  /** The agent's device path: write-behind on an I/O stream to {@code mirror}. */
  private static Disk writeBehind(URI mirror, String volume) {
    WriteBehind d =
        new WriteBehind(
            () -> BlockClient.connect(mirror, volume, 0, BlockClient.Options.defaults()),
            WriteBehind.Limits.defaults());
    return new Disk() {
      @Override
      public void write(long offset, byte[] data) {
        d.write(offset, data, 0, data.length);
      }

      @Override
      public void flush() {
        d.flush();
      }

      @Override
      public void barrier(long n) {
        d.barrier(n);
      }

      @Override
      public void close() {
        d.flush();
        d.close();
      }
    };
  }

  private static Disk mirrorDisk(URI mirror, String volume) {
    BlockClient c = BlockClient.connect(mirror, volume, 0, BlockClient.Options.defaults());
    return new Disk() {
      @Override
      public void write(long offset, byte[] data) {
        c.write(offset, data, 0, data.length);
      }

      @Override
      public void flush() {
        c.flush();
      }

      @Override
      public void barrier(long n) {
        c.barrier(n);
      }

      @Override
      public void close() {
        c.close();
      }
    };
  }

  private static Result run(String name, int block, int writes, Disk disk, Checkpoints cps)
      throws Exception {
    try (disk) {
      byte[] data = new byte[block];
      new Random(block).nextBytes(data);
      long span = VOLUME / block;
      for (int i = 0; i < Math.min(writes, 2_000); i++) {
        disk.write((i % span) * block, data);
        if (cps != null) {
          cps.wrote(disk);
        }
      }
      long[] nanos = new long[writes];
      long t0 = System.nanoTime();
      for (int i = 0; i < writes; i++) {
        long s = System.nanoTime();
        disk.write(((i + 7) % span) * block, data);
        nanos[i] = System.nanoTime() - s;
        if (cps != null) {
          cps.wrote(disk);
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      disk.flush();
      return new Result(name, block, writes, seconds, nanos);
    }
  }

  /** Bytes of a kv log record (a SET of a short key and value, framed). */
  private static final int KV_RECORD = 48;

  /**
   * The kv guest's pattern per command (a batch of one): the log's tail (kv3: a tail sector and the
   * header in two slots), a flush per command ({@code always}) or at most once a second ({@code
   * everysec}).
   */
  private static Result runKv(
      String name, int commands, Disk disk, Checkpoints cps, boolean always, boolean v1)
      throws Exception {
    try (disk) {
      byte[] sector = new byte[512];
      new Random(1).nextBytes(sector);
      byte[] two = new byte[1024];
      new Random(2).nextBytes(two);
      long lastFlush = System.nanoTime();
      long[] end = {0};
      for (int i = 0; i < Math.min(commands, 2_000); i++) {
        command(disk, i, sector, two, end, v1);
        disk.flush();
      }
      long[] nanos = new long[commands];
      long t0 = System.nanoTime();
      for (int i = 0; i < commands; i++) {
        long s = System.nanoTime();
        command(disk, i, sector, two, end, v1);
        if (always || s - lastFlush >= 1_000_000_000L) {
          disk.flush();
          lastFlush = s;
        }
        nanos[i] = System.nanoTime() - s;
        if (cps != null) {
          cps.wrote(disk);
        }
      }
      disk.flush(); // the last commands are durable too
      double seconds = (System.nanoTime() - t0) / 1e9;
      return new Result(
          name + (v1 ? " kv3" : " kv") + (always ? " always" : " everysec"),
          512,
          commands,
          seconds,
          nanos);
    }
  }

  /**
   * CPU per replicated write of each mirror process (utime + stime from {@code /proc}, so other
   * work on a loaded machine does not count): synchronous 4 KiB writes over the Unix-domain socket
   * to the replicated volume, a checkpoint every 500 writes (the secondary's commit, as its agent
   * asks for it), five rounds after a warm-up, and their median.
   */
  private static void replicaCpu(Node primary, Node secondary, int writes) throws Exception {
    System.out.println("CPU per replicated 4 KiB write (utime+stime of each mirror process):");
    System.out.printf(
        "%-8s %10s %12s %14s %16s%n",
        "round", "writes", "writes/s", "primary us/w", "secondary us/w");
    try (Checkpoints cps = new Checkpoints(secondary, "pair", 500)) {
      run("warm-up", 4096, writes, mirrorDisk(primary.socket(), "pair"), cps);
    }
    primary.awaitDrained("pair");
    int rounds = 5;
    double[] ps = new double[rounds];
    double[] ss = new double[rounds];
    for (int round = 0; round < rounds; round++) {
      long p0 = primary.cpuNanos();
      long s0 = secondary.cpuNanos();
      Result r;
      try (Checkpoints cps = new Checkpoints(secondary, "pair", 500)) {
        r = run("mirror+replica unix", 4096, writes, mirrorDisk(primary.socket(), "pair"), cps);
      }
      primary.awaitDrained("pair");
      ps[round] = (primary.cpuNanos() - p0) / 1e3 / writes;
      ss[round] = (secondary.cpuNanos() - s0) / 1e3 / writes;
      System.out.printf(
          "%-8d %10d %12.0f %14.1f %16.1f%n",
          round + 1, writes, r.perSecond(), ps[round], ss[round]);
    }
    Arrays.sort(ps);
    Arrays.sort(ss);
    System.out.printf(
        "%-8s %10s %12s %14.1f %16.1f%n", "median", "", "", ps[rounds / 2], ss[rounds / 2]);
  }

  /**
   * {@code kv always} (a flush per command) through the file backend and through the mirror's
   * Unix-domain socket, paired: each round runs both back to back on new images (the order
   * alternating), so a slow phase of the machine's disk hits both alike; prints each round's rates
   * and p50 latencies, their ratios (mirror / file), and the medians of the ratios. The rate counts
   * every stall of a round (on a loaded machine the mirror's three thread wake-ups per command
   * stall more often than the file's none); the p50 is a command's usual cost.
   */
  private static void alwaysPaired(
      Node primary, Path tmp, int commands, FlushPolicy policy, int rounds) throws Exception {
    System.out.printf(
        "kv always, %,d commands per case, %d rounds (file and mirror unix back to back, new"
            + " images, the order alternating):%n",
        commands, rounds);
    System.out.printf(
        "%-6s %12s %10s %14s %10s %16s %18s%n",
        "round",
        "file cmds/s",
        "file p50",
        "mirror cmds/s",
        "mirror p50",
        "rate mirror/file",
        "p50 mirror/file");
    double[] ratios = new double[rounds];
    double[] p50s = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      Result file = null;
      Result mirror = null;
      for (int i = 0; i < 2; i++) {
        if ((i == 0) == (r % 2 == 0)) {
          file =
              runKv(
                  "file",
                  commands,
                  fileDisk(tmp.resolve("always-" + r + ".img"), policy),
                  null,
                  true,
                  false);
        } else {
          mirror =
              runKv(
                  "mirror unix",
                  commands,
                  writeBehind(primary.socket(), newVolume(primary)),
                  null,
                  true,
                  false);
        }
      }
      ratios[r] = mirror.perSecond() / file.perSecond();
      p50s[r] = mirror.percentile(0.5) / file.percentile(0.5);
      System.out.printf(
          "%-6d %,12.0f %10.1f %,14.0f %10.1f %16.2f %18.2f%n",
          r + 1,
          file.perSecond(),
          file.percentile(0.5),
          mirror.perSecond(),
          mirror.percentile(0.5),
          ratios[r],
          p50s[r]);
      Files.deleteIfExists(tmp.resolve("always-" + r + ".img"));
    }
    double[] sorted = ratios.clone();
    Arrays.sort(sorted);
    double[] sortedP50 = p50s.clone();
    Arrays.sort(sortedP50);
    System.out.printf(
        "median of the rounds' ratios: rate %.2f (the mirror takes %.2fx the file's time per"
            + " command), p50 %.2f (a command's median latency through the mirror is %.2fx the"
            + " file's); load average now %.1f%n",
        sorted[rounds / 2],
        1 / sorted[rounds / 2],
        sortedP50[rounds / 2],
        sortedP50[rounds / 2],
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
  }

  /** One command's writes: see {@link #runKv}. */
  private static void command(Disk disk, int i, byte[] sector, byte[] two, long[] end, boolean v1)
      throws Exception {
    if (v1) {
      disk.write(1024 + (i % 100_000) * 512L, sector);
      disk.write((i % 2) * 512L, sector);
      disk.write(((i + 1) % 2) * 512L, sector);
      return;
    }
    long start = end[0] & ~511L;
    end[0] = (end[0] + KV_RECORD) % (100_000L * 512);
    long stop = (end[0] + 511) & ~511L;
    disk.write(1024 + start, stop - start > 512 ? two : sector);
  }

  private static void print(List<Result> results) {
    System.out.printf(
        "%-28s %7s %12s %10s %10s %10s %9s%n",
        "backend", "block", "writes/s", "MiB/s", "p50 us", "p99 us", "vs file");
    Result file = null;
    for (Result r : results) {
      if (r.name().startsWith("file")) {
        file = r;
      }
      String ratio =
          file == null || r == file
              ? "1.00x"
              : String.format("%.2fx", file.perSecond() / r.perSecond());
      System.out.printf(
          "%-28s %7d %,12.0f %10.1f %10.1f %10.1f %9s%n",
          r.name(),
          r.block(),
          r.perSecond(),
          r.mbPerSecond(),
          r.percentile(0.5),
          r.percentile(0.99),
          ratio);
    }
  }

  /**
   * The secondary's pause per checkpoint: an interval of {@code commands} kv commands (three
   * 512-byte writes each, through the agent's write-behind device on the Unix-domain socket)
   * replicated to the secondary, the barrier marked, the secondary's journal caught up; then the
   * commit is timed as the secondary's agent waits for it (its VM paused). Five intervals per size.
   */
  private static void commitPause(Node primary, Node secondary, int commands) throws Exception {
    System.out.println();
    System.out.println("commit (the secondary VM's pause) after an interval of kv commands:");
    System.out.printf(
        "%-12s %-10s %10s %10s %10s%n", "commands", "writes", "commit ms", "min ms", "max ms");
    byte[] sector = new byte[512];
    new Random(5).nextBytes(sector);
    long barrier = 1_000_000;
    long tail = 1024;
    for (int size : new int[] {commands / 100, commands / 10, commands}) {
      double[] ms = new double[5];
      try (Disk disk = writeBehind(primary.socket(), "pair")) {
        for (int round = 0; round < ms.length; round++) {
          for (int i = 0; i < size; i++) {
            disk.write(tail, sector);
            disk.write(((i % 2) * 512L), sector);
            disk.write((((i + 1) % 2) * 512L), sector);
            if (i % 7 == 6) {
              tail = tail + 512 < VOLUME ? tail + 512 : 1024;
            }
          }
          long n = barrier++;
          disk.barrier(n);
          primary.awaitDrained("pair");
          long t0 = System.nanoTime();
          secondary.post("/v1/volumes/pair/commit", "{\"epoch\":0,\"barrier\":" + n + "}");
          ms[round] = (System.nanoTime() - t0) / 1e6;
        }
      }
      double[] sorted = ms.clone();
      Arrays.sort(sorted);
      System.out.printf(
          "%,-12d %,-10d %10.1f %10.1f %10.1f%n",
          size, size * 3, sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1]);
    }
  }

  private static void lagUnderLoad(Node primary, Node secondary, int writes, int block, int depth)
      throws Exception {
    List<long[]> samples = new ArrayList<>();
    AtomicBoolean done = new AtomicBoolean();
    Thread sampler =
        Thread.ofPlatform()
            .start(
                () -> {
                  while (!done.get()) {
                    try {
                      String s = primary.get("/v1/volumes/pair");
                      long bytes = number(LAG_BYTES, s);
                      long micros = (long) (decimal(LAG_SECONDS, s) * 1e6);
                      synchronized (samples) {
                        samples.add(new long[] {bytes, micros});
                      }
                      Thread.sleep(20);
                    } catch (Exception e) {
                      return;
                    }
                  }
                });
    byte[] data = new byte[block];
    new Random(3).nextBytes(data);
    long t0 = System.nanoTime();
    Disk disk = mirrorDisk(URI.create(primary.url()), "pair");
    try (BlockClient c =
            BlockClient.connect(
                URI.create(primary.url()), "pair", 0, BlockClient.Options.defaults());
        Checkpoints cps = new Checkpoints(secondary, "pair", 200);
        disk) {
      List<CompletableFuture<Void>> inFlight = new ArrayList<>();
      for (int i = 0; i < writes; i++) {
        inFlight.add(
            c.writeAsync((i % (VOLUME / data.length)) * data.length, data, 0, data.length));
        if (inFlight.size() >= depth) {
          inFlight.removeFirst().join();
        }
        cps.wrote(disk);
      }
      inFlight.forEach(CompletableFuture::join);
    }
    double loadSeconds = (System.nanoTime() - t0) / 1e9;
    long t1 = System.nanoTime();
    primary.awaitDrained("pair");
    double drainSeconds = (System.nanoTime() - t1) / 1e9;
    done.set(true);
    sampler.join();
    long[] bytes;
    long[] micros;
    synchronized (samples) {
      bytes = samples.stream().mapToLong(s -> s[0]).sorted().toArray();
      micros = samples.stream().mapToLong(s -> s[1]).sorted().toArray();
    }
    System.out.printf(
        "  %d KiB writes, %d in flight: %,d in %.2f s = %.1f MiB/s accepted by the primary%n",
        block / 1024,
        depth,
        writes,
        loadSeconds,
        (double) writes * data.length / loadSeconds / (1 << 20));
    System.out.printf(
        "  lag (%d samples): bytes p50 %s, p99 %s, max %s; age of oldest unacked p50 %.1f ms,"
            + " p99 %.1f ms, max %.1f ms%n",
        bytes.length,
        size(at(bytes, 0.5)),
        size(at(bytes, 0.99)),
        size(at(bytes, 1.0)),
        at(micros, 0.5) / 1000.0,
        at(micros, 0.99) / 1000.0,
        at(micros, 1.0) / 1000.0);
    System.out.printf("  drained %.1f ms after the last write returned%n", drainSeconds * 1000);
  }

  private static long at(long[] sorted, double p) {
    return sorted.length == 0
        ? 0
        : sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  }

  private static String size(long bytes) {
    return bytes >= 1 << 20
        ? String.format("%.1f MiB", bytes / (double) (1 << 20))
        : String.format("%.0f KiB", bytes / 1024.0);
  }

  private static long number(Pattern p, String s) {
    Matcher m = p.matcher(s);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  private static double decimal(Pattern p, String s) {
    Matcher m = p.matcher(s);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  static Path findJar() throws IOException {
    Path target = Path.of("disk-mirror", "target");
    try (Stream<Path> files = Files.list(target)) {
      return files
          .filter(p -> p.getFileName().toString().matches("disk-mirror-.*-exec\\.jar"))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("build disk-mirror first"));
    }
  }

  /** A mirror process on a free loopback port. */
  static final class Node implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path socket;
    private final HttpClient http = HttpClient.newHttpClient();

    private Node(Process process, int port, Path socket) {
      this.process = process;
      this.port = port;
      this.socket = socket;
    }

    /** The mirror's Unix-domain socket (the local transport). */
    URI socket() {
      return URI.create("unix:" + socket);
    }

    static Node start(Path jar, Path data, String policy) throws Exception {
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      Files.createDirectories(data);
      Process p =
          new ProcessBuilder(
                  ProcessHandle.current().info().command().orElse("java"),
                  "-jar",
                  jar.toAbsolutePath().toString(),
                  "--server.port=" + port,
                  "--server.address=127.0.0.1",
                  "--colo.mirror.data-dir=" + data.toAbsolutePath(),
                  "--colo.mirror.flush-policy=" + policy,
                  "--colo.mirror.io.unix-socket=" + data.toAbsolutePath().resolve("io.sock"),
                  "--logging.level.root=WARN")
              .redirectErrorStream(true)
              .redirectOutput(data.resolve("mirror.log").toFile())
              .start();
      Node n = new Node(p, port, data.toAbsolutePath().resolve("io.sock"));
      long deadline = System.nanoTime() + Duration.ofSeconds(600).toNanos(); // a loaded machine
      while (true) {
        try {
          if (n.status("/actuator/health") == 200) {
            return n;
          }
        } catch (IOException e) {
          // not up yet
        }
        if (!p.isAlive() || System.nanoTime() > deadline) {
          p.destroyForcibly();
          throw new IllegalStateException("mirror did not start; see " + data);
        }
        Thread.sleep(200);
      }
    }

    String url() {
      return "http://127.0.0.1:" + port;
    }

    /** The process's CPU time so far (utime + stime of {@code /proc/PID/stat}, 100 ticks/s). */
    long cpuNanos() throws IOException {
      String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
    }

    int status(String path) throws Exception {
      return http.send(
              HttpRequest.newBuilder(URI.create(url() + path)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    }

    String get(String path) throws Exception {
      return http.send(
              HttpRequest.newBuilder(URI.create(url() + path)).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    }

    void post(String path, String json) throws Exception {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url() + path))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(json))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        throw new IllegalStateException(path + ": HTTP " + r.statusCode() + " " + r.body());
      }
    }

    void awaitState(String volume, String state) throws Exception {
      for (int i = 0; i < 6000; i++) {
        Matcher m = STATE.matcher(get("/v1/volumes/" + volume));
        if (m.find() && m.group(1).equals(state)) {
          return;
        }
        Thread.sleep(20);
      }
      throw new IllegalStateException(volume + " never reached " + state);
    }

    void awaitDrained(String volume) throws Exception {
      for (int i = 0; i < 60_000; i++) {
        if (number(LAG_BYTES, get("/v1/volumes/" + volume)) == 0) {
          return;
        }
        Thread.sleep(1);
      }
      throw new IllegalStateException(volume + " never drained: " + get("/v1/volumes/" + volume));
    }

    @Override
    public void close() {
      process.destroy();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
