package dev.coloha.bench;

import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.http.HttpStream;
import dev.coloha.wire.io.IoFrame;
import dev.coloha.wire.io.IoFrameCodec;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checkpoint replication over loopback between two agent processes: for N dirty pages, the
 * primary's pause and the end-to-end latency (request to acknowledged), next to raw socket copies
 * of the same number of bytes (those each checkpoint sent: the dirtied pages, the pages the guest
 * itself wrote meanwhile, its stack and data, and the frames) measured in the same run: over a
 * fresh connection to a fresh reader thread (one way), and over a long-lived connection (one way,
 * and with a one-byte acknowledgement back, a round trip as a checkpoint is). The raw copies run
 * after each size's checkpoints, from and into buffers as large as the copy (as a checkpoint's
 * pages come from memory and go to it), and are warmed up with the checkpoints.
 *
 * <pre>
 * ./mvnw -q -DskipTests package -pl benchmarks,replica-agent -am
 * java -cp benchmarks/target/benchmarks.jar dev.coloha.bench.ReplicationHarness
 * </pre>
 *
 * <p>{@code -Dsizes=1,100} measures only those sizes, {@code -Drounds=N} takes N rounds each (50),
 * {@code -Dwarmup=N} runs N warm-up checkpoints first (30000, about three minutes: see below),
 * {@code -Draw=false} leaves the raw copies out.
 *
 * <p>Over 400 lines on purpose: one harness, its setups, runs and the figures it prints, read top
 * to bottom like the table in docs/benchmarks.md it produces.
 */
public final class ReplicationHarness {
  // -Dsizes=1,100 and -Drounds=N narrow a run down (e.g. to profile one size)
  // -Draw=false leaves the raw copies out (checkpoints alone, e.g. to trace the agents)
  private static final boolean RAW = !"false".equals(System.getProperty("raw"));
  private static final int[] DIRTY =
      Arrays.stream(System.getProperty("sizes", "1,100,1000,10000,50000").split(","))
          .mapToInt(v -> Integer.parseInt(v.trim()))
          .toArray();
  private static final int ROUNDS = Integer.getInteger("rounds", 50);
  private static final int WARMUP = Integer.getInteger("warmup", 30_000);
  private static final Pattern PORT = Pattern.compile("Tomcat started on port (\\d+)");
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private ReplicationHarness() {}

  public static void main(String[] args) throws Exception {
    Path jar = args.length > 0 ? Path.of(args[0]) : findJar();
    Path work = Files.createTempDirectory("colo-bench");
    List<Process> agents = new ArrayList<>();
    try {
      String a = start(jar, work.resolve("a"), agents);
      String b = start(jar, work.resolve("b"), agents);
      byte[] wasm = Files.readAllBytes(Path.of("guests", "testing", "dirty.wasm"));
      for (String host : List.of(a, b)) {
        call("PUT", host + "/v1/guests/dirty", wasm, "application/wasm");
      }
      String vm =
          "{\"id\":\"%s\",\"guest\":\"dirty\",\"diskBytes\":0,\"memoryBytes\":536870912,\"start\":%s}";
      call("POST", a + "/v1/vms", vm.formatted("p", true).getBytes(), "application/json");
      call("POST", b + "/v1/vms", vm.formatted("s", false).getBytes(), "application/json");
      call("POST", b + "/v1/vms/s/secondary", "{\"epoch\":1}".getBytes(), "application/json");
      call(
          "POST",
          a + "/v1/vms/p/primary",
          ("{\"epoch\":1,\"secondary\":{\"agentUrl\":\"" + b + "\",\"vm\":\"s\"}}").getBytes(),
          "application/json");
      while (!call("GET", a + "/v1/vms/p/replication", null, null).contains("\"PROTECTED\"")) {
        TimeUnit.MILLISECONDS.sleep(50);
      }
      Driver p = new Driver(a, "p");
      RawStream stream = new RawStream();
      // warm-up: the JIT compiles the checkpoint path (send, receive, apply, ACK) and the HTTP
      // stack around it on both agents before anything is measured. It takes long: C2 was still
      // compiling after 3,000 checkpoints (up to half a CPU, in the harness and in the agents),
      // and one page's e2e kept falling until about 25,000 (2026-11-26: 274 us after 2,000, 143
      // after 10,000, 91 after 18,000, 74-88 from 28,000 on); the progress is printed
      double[] small = new double[1000];
      for (int r = 0; r < WARMUP; r++) {
        p.dirty(r % 2 == 0 ? 1 : 300);
        String res =
            call(
                "POST", a + "/v1/vms/p/checkpoint", "{\"epoch\":1}".getBytes(), "application/json");
        if (r % 2 == 0) {
          small[(r / 2) % small.length] = number(res, "totalMicros");
          if ((r / 2) % small.length == small.length - 1) {
            // how far the warm-up has come: the JIT is done when this stops falling
            System.out.printf("warm-up %6d: one page e2e p50 %.1f us%n", r + 1, median(small));
          }
        }
        if (RAW) {
          // the raw copies are warmed up as well: a baseline still being compiled would flatter
          // the checkpoints
          long bytes = (long) number(res, "bytes");
          rawBuffers(bytes);
          rawCopies(stream, bytes);
        }
      }
      System.out.printf(
          "%-8s %8s %12s %12s %12s %12s %12s %12s %16s %14s %10s %16s %14s %16s %12s%n",
          "dirty",
          "pages",
          "pause p50",
          "send",
          "receive",
          "transfer",
          "apply",
          "e2e p50",
          "e2e p50 / page",
          "fresh raw p50",
          "e2e/fresh",
          "stream p50",
          "e2e/stream",
          "stream+ack p50",
          "e2e/stream+ack");
      for (int dirty : DIRTY) {
        double[] pause = new double[ROUNDS];
        double[] e2e = new double[ROUNDS];
        double[] raw = new double[ROUNDS];
        double[] rawAck = new double[ROUNDS];
        double[] rawStream = new double[ROUNDS];
        double[] transfer = new double[ROUNDS];
        double[] send = new double[ROUNDS];
        double[] receive = new double[ROUNDS];
        double[] apply = new double[ROUNDS];
        double[] pages = new double[ROUNDS];
        long[] sent = new long[ROUNDS];
        for (int r = 0; r < ROUNDS + 2; r++) {
          p.dirty(dirty);
          String res =
              call(
                  "POST",
                  a + "/v1/vms/p/checkpoint",
                  "{\"epoch\":1}".getBytes(),
                  "application/json");
          if (r >= 2) {
            pause[r - 2] = number(res, "pauseMicros");
            e2e[r - 2] = number(res, "totalMicros");
            // the raw copies move the bytes this checkpoint sent: the guest's own stack and data
            // pages ride along with the pages the fixture dirtied
            long bytes = (long) number(res, "bytes");
            pages[r - 2] = number(res, "pages");
            sent[r - 2] = bytes;
            transfer[r - 2] = number(res, "transferMicros");
            send[r - 2] = number(res, "sendMicros");
            receive[r - 2] = number(res, "receiveMicros");
            apply[r - 2] = number(res, "applyMicros");
          }
        }
        // the raw copies after the checkpoints, not between them: a copy right after a checkpoint
        // ran beside the agents' own work after it (the VM threads' wake-ups, the output writer),
        // and a checkpoint right after a fresh copy beside that copy's connection teardown and
        // thread exit; interleaved, each slowed the other (one page: 150-240 us against 100-130
        // us for the checkpoints)
        if (RAW) {
          rawBuffers(Arrays.stream(sent).max().orElse(0));
          for (int r = 0; r < ROUNDS; r++) {
            double[] copies = rawCopies(stream, sent[r]);
            rawStream[r] = copies[0];
            rawAck[r] = copies[1];
            raw[r] = copies[2];
          }
        }
        double e = median(e2e);
        double c = median(raw);
        double ca = median(rawAck);
        double cs = median(rawStream);
        System.out.printf(
            "%-8d %8.0f %9.1f us %9.1f us %9.1f us %9.1f us %9.1f us %9.1f us %13.2f us %11.1f us %9.2fx"
                + " %13.1f us %13.2fx %13.1f us %11.2fx%n",
            dirty,
            median(pages),
            median(pause),
            median(send),
            median(receive),
            median(transfer),
            median(apply),
            e,
            e / median(pages),
            c,
            e / c,
            cs,
            e / cs,
            ca,
            e / ca);
      }
      p.close();
      stream.close();
    } finally {
      agents.forEach(Process::destroy);
    }
  }

  private static Path findJar() {
    File[] jars = new File("replica-agent/target").listFiles((d, n) -> n.endsWith("-exec.jar"));
    if (jars == null || jars.length == 0) {
      throw new IllegalStateException("build replica-agent first (./mvnw -q -DskipTests package)");
    }
    return jars[0].toPath();
  }

  private static String start(Path jar, Path dir, List<Process> agents) throws Exception {
    Files.createDirectories(dir);
    Path log = dir.resolve("agent.log");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xss16m",
                "-Xms2g",
                "-Xmx2g",
                "-XX:+UseParallelGC",
                "-XX:+AlwaysPreTouch",
                "-jar",
                jar.toString(),
                "--server.port=0",
                "--colo.agent.data-dir=" + dir,
                "--colo.agent.replication.checkpoint-timeout=60s"));
    // extra agent arguments, e.g. COLO_BENCH_AGENT_ARGS="--spring.threads.virtual.enabled=false"
    String extra = System.getenv("COLO_BENCH_AGENT_ARGS");
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(List.of(extra.trim().split("\\s+")));
    }
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    agents.add(p);
    for (int i = 0; i < 900; i++) {
      Matcher m = PORT.matcher(Files.readString(log));
      if (m.find()) {
        return "http://127.0.0.1:" + m.group(1);
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new IllegalStateException("agent did not start: " + Files.readString(log));
  }

  private static String call(String method, String url, byte[] body, String type) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(2));
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", type).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300) {
      throw new IllegalStateException(method + " " + url + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  /** The three raw copies of {@code bytes}, in microseconds: stream, stream+ack, fresh. */
  private static double[] rawCopies(RawStream stream, long bytes) throws Exception {
    return new double[] {
      stream.copyMicros((int) bytes, false),
      stream.copyMicros((int) bytes, true),
      rawCopyMicros(bytes)
    };
  }

  /**
   * A number field of a flat JSON answer. Without a regular expression: the harness shares the
   * agents' CPUs, and its own garbage and JIT compilation would show in their figures.
   */
  private static double number(String json, String field) {
    String key = "\"" + field + "\":";
    int at = json.indexOf(key);
    if (at < 0) {
      throw new IllegalStateException(field + " missing in " + json);
    }
    int from = at + key.length();
    int to = from;
    while (to < json.length() && "0123456789.Ee+-".indexOf(json.charAt(to)) >= 0) {
      to++;
    }
    return Double.parseDouble(json.substring(from, to));
  }

  // the raw copies' buffers: as large as the bytes copied, as a checkpoint's are (a copy that sent
  // one 1 MiB buffer again and again, into another, ran from the CPU cache where a checkpoint's
  // 200 MB come from memory and go to it); grown before a size's copies, never in the middle of
  // a measurement, and written once so that no page is first touched inside one
  private static byte[] rawOut = new byte[0];
  private static byte[] rawIn = new byte[0];

  private static void rawBuffers(long bytes) {
    if (rawOut.length < 4 + bytes) {
      rawOut = new byte[4 + (int) bytes];
      rawIn = new byte[(int) bytes];
      Arrays.fill(rawOut, (byte) 0x5a);
      Arrays.fill(rawIn, (byte) 0xa5);
    }
  }

  /**
   * Copies {@code bytes} over a fresh loopback TCP connection to a fresh reader thread;
   * microseconds until all were read.
   */
  private static double rawCopyMicros(long bytes) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        Socket peer = server.accept()) {
      client.setTcpNoDelay(true);
      Thread reader =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try (InputStream in = peer.getInputStream()) {
                      in.readNBytes(rawIn, 0, (int) bytes);
                    } catch (IOException e) {
                      throw new IllegalStateException(e);
                    }
                  });
      long t0 = System.nanoTime();
      OutputStream out = client.getOutputStream();
      out.write(rawOut, 4, (int) bytes);
      out.flush();
      reader.join();
      return (System.nanoTime() - t0) / 1e3;
    }
  }

  /**
   * A long-lived loopback connection whose reader thread waits on the socket between copies, as the
   * secondary's checkpoint-stream reader does. The stricter baseline: a fresh connection's copy
   * also pays for starting its reader thread and for a new connection's small TCP window, which a
   * long-lived checkpoint stream does not. A copy is timed from the first write until the reader
   * has read the last byte, or with an acknowledgement until the writer has read it back.
   */
  private static final class RawStream implements AutoCloseable {
    private final ServerSocket server;
    private final Socket client;
    private final Socket peer;
    private final SynchronousQueue<Long> done = new SynchronousQueue<>();
    private volatile boolean ack;

    RawStream() throws IOException {
      server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
      client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
      client.setTcpNoDelay(true);
      peer = server.accept();
      Thread.ofPlatform().daemon().name("raw-stream-reader").start(this::read);
    }

    private void read() {
      try (InputStream in = peer.getInputStream()) {
        byte[] len = new byte[4];
        while (in.readNBytes(len, 0, 4) == 4) {
          long left =
              ((len[0] & 0xffL) << 24)
                  | ((len[1] & 0xff) << 16)
                  | ((len[2] & 0xff) << 8)
                  | (len[3] & 0xff);
          if (in.readNBytes(rawIn, 0, (int) left) < left) {
            return;
          }
          if (ack) {
            peer.getOutputStream().write(1); // "received", as a checkpoint's ACK
          } else {
            done.put(System.nanoTime());
          }
        }
      } catch (IOException e) {
        // closed
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** With {@code ack}, until the reader's one-byte acknowledgement is back (a round trip). */
    double copyMicros(int bytes, boolean ack) throws Exception {
      this.ack = ack;
      // the length goes in front of the bytes, in the same write (a checkpoint's frames and chunk
      // heads go out with its pages)
      rawOut[0] = (byte) (bytes >>> 24);
      rawOut[1] = (byte) (bytes >>> 16);
      rawOut[2] = (byte) (bytes >>> 8);
      rawOut[3] = (byte) bytes;
      OutputStream out = client.getOutputStream();
      long t0 = System.nanoTime();
      out.write(rawOut, 0, 4 + bytes);
      out.flush();
      if (!ack) {
        return (done.take() - t0) / 1e3;
      }
      // the writer waits in a read for the acknowledgement, as the primary does for its ACK
      if (client.getInputStream().read() < 0) {
        throw new IOException("no acknowledgement");
      }
      return (System.nanoTime() - t0) / 1e3;
    }

    @Override
    public void close() throws IOException {
      client.close();
      peer.close();
      server.close();
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  /** Feeds the dirty fixture through the VM's input stream and waits for its answer. */
  private static final class Driver implements AutoCloseable {
    private final HttpStream input;
    private final HttpStream output;
    private final FrameOutput in;
    private final FrameInput out;
    private final IoFrameCodec codec = new IoFrameCodec();
    private long sent;

    Driver(String agent, String vm) throws IOException {
      output =
          HttpStream.open(
              "GET",
              URI.create(agent + "/v1/vms/" + vm + "/output?epoch=1"),
              Map.of(),
              Duration.ofSeconds(5),
              Duration.ofMinutes(2));
      input =
          HttpStream.open(
              "POST",
              URI.create(agent + "/v1/vms/" + vm + "/input?epoch=1"),
              Map.of(),
              Duration.ofSeconds(5),
              Duration.ofMinutes(2));
      in = new FrameOutput(input.body());
      out = new FrameInput(output.response(), 1 << 22);
      codec.write(new IoFrame.Open(1), in);
      in.flush();
    }

    void dirty(int pages) throws IOException {
      byte[] line = (pages + "\n").getBytes(StandardCharsets.US_ASCII);
      codec.write(new IoFrame.Data(1, sent, line), in);
      in.flush();
      sent += line.length;
      while (true) {
        IoFrame f = codec.read(out);
        if (f instanceof IoFrame.Output o
            && new String(o.bytes(), StandardCharsets.US_ASCII).endsWith("\n")) {
          return;
        }
      }
    }

    @Override
    public void close() {
      input.close();
      output.close();
    }
  }
}
