package dev.coloha.bench;

import dev.coloha.agent.streamport.CheckpointStreamListener;
import dev.coloha.wire.http.HttpStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;

/**
 * The checkpoint stream's client against the JDK's, over the agent's checkpoint-stream listener on
 * loopback (ADR 0004): one long-lived HTTP/1.1 exchange, a chunked request body and a response read
 * while the request goes on, as a primary's checkpoint stream is. A round trip is one frame written
 * and flushed by the client and a 62-byte answer (an ACK's size) read back; the listener's stream
 * reads whole frames and answers each, as the secondary does, but applies nothing.
 *
 * <ul>
 *   <li><b>ours</b>: {@link HttpStream} (the agent's {@code PrimaryLink} and {@code
 *       StreamEndpoint});
 *   <li><b>jdk</b>: {@link HttpClient} (HTTP/1.1), the body a {@link SubmissionPublisher} of byte
 *       buffers ({@code BodyPublishers.fromPublisher}, unknown length: chunked), the response an
 *       {@code InputStream} ({@code BodyHandlers.ofInputStream()}).
 * </ul>
 *
 * <p>Frame sizes: a heartbeat (16-byte payload), 1 page and 100 pages of 4 KiB (a PAGES frame).
 * Each client is measured {@code -Dalternations=2} times, alternately, after {@code -Dwarmup=N}
 * round trips of every size (20000), {@code -Drounds=N} round trips per size (2000; the 100-page
 * size a tenth of that).
 *
 * <pre>
 * ./mvnw -o -q -DskipTests package -pl benchmarks -am
 * java -cp benchmarks/target/benchmarks.jar dev.coloha.bench.StreamClientHarness
 * </pre>
 */
public final class StreamClientHarness {
  private static final int WARMUP = Integer.getInteger("warmup", 20_000);
  private static final int ROUNDS = Integer.getInteger("rounds", 2_000);
  private static final int ALTERNATIONS = Integer.getInteger("alternations", 2);
  private static final int[] PAYLOADS = {16, 8 + 4096, 8 + 100 * 4096};
  private static final String[] NAMES = {"heartbeat", "1 page", "100 pages"};
  private static final int ANSWER = 5 + 57;
  private static final String TOKEN = "bench-token";
  private static final Map<String, String> AUTH = Map.of("Authorization", "Bearer " + TOKEN);

  private StreamClientHarness() {}

  /** One client's stream: sends a frame, waits for the answer. */
  private interface Stream extends AutoCloseable {
    void roundTrip(byte[] frame) throws IOException;

    @Override
    void close() throws IOException;
  }

  public static void main(String[] args) throws Exception {
    Path base = Files.createTempDirectory("stream-client-harness");
    Tomcat tomcat = tomcat(base);
    try (CheckpointStreamListener listener =
        new CheckpointStreamListener(
            (vm, epoch) -> StreamClientHarness::answerEveryFrame,
            InetAddress.getLoopbackAddress(),
            0,
            TOKEN,
            Duration.ofMinutes(5),
            4)) {
      String path = "/v1/vms/bench/replica-stream?epoch=1";
      URI toListener = URI.create("http://127.0.0.1:" + listener.port() + path);
      URI toTomcat = URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort() + path);
      HttpClient jdk =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(2))
              .build();
      byte[][] frames = new byte[PAYLOADS.length][];
      for (int i = 0; i < frames.length; i++) {
        frames[i] = frame(0x02, PAYLOADS[i]);
      }
      System.out.printf(
          "# warm-up %d round trips per size and case, %d measured per size (100 pages: %d)%n",
          WARMUP, ROUNDS, Math.max(1, ROUNDS / 10));
      System.out.printf("# load average before: %s%n", loadAverage());
      String[] cases = {
        "ours/listener",
        "ours/tomcat",
        "jdk-stream/listener",
        "jdk-stream/tomcat",
        "jdk-request/tomcat"
      };
      for (int a = 0; a < ALTERNATIONS; a++) {
        for (String c : cases) {
          URI uri = c.endsWith("listener") ? toListener : toTomcat;
          try (Stream s =
              c.startsWith("ours")
                  ? ours(uri)
                  : c.startsWith("jdk-stream") ? jdkStream(jdk, uri) : jdkRequests(jdk, uri)) {
            for (int w = 0; w < WARMUP; w++) {
              s.roundTrip(frames[w % 10 == 9 ? 2 : w % 2]);
            }
            for (int i = 0; i < frames.length; i++) {
              int n = i == 2 ? Math.max(1, ROUNDS / 10) : ROUNDS;
              long[] t = new long[n];
              for (int r = 0; r < n; r++) {
                long t0 = System.nanoTime();
                s.roundTrip(frames[i]);
                t[r] = System.nanoTime() - t0;
              }
              Arrays.sort(t);
              System.out.printf(
                  "%-19s %-10s median %8.1f µs  p99 %8.1f µs%n",
                  c, NAMES[i], t[n / 2] / 1e3, t[(int) Math.ceil(n * 0.99) - 1] / 1e3);
            }
          } catch (TimeoutException e) {
            System.out.printf("%-19s %s%n", c, e.getMessage());
          }
        }
        System.out.printf("# load average: %s%n", loadAverage());
      }
      jdk.shutdownNow(); // close() would wait for the refused streams
    } finally {
      tomcat.stop();
      tomcat.destroy();
    }
  }

  /**
   * An embedded Tomcat serving the stream as the agent's HTTP server does ({@code
   * ReplicationController.stream}: the servlet's input and output streams on a request thread).
   */
  private static Tomcat tomcat(Path base) throws Exception {
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(base.toString());
    Connector connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    tomcat.getService().addConnector(connector);
    tomcat.setConnector(connector);
    Context context = tomcat.addContext("", base.toString());
    Tomcat.addServlet(
        context,
        "stream",
        new HttpServlet() {
          @Override
          protected void doPost(HttpServletRequest req, HttpServletResponse resp)
              throws IOException {
            resp.setContentType("application/octet-stream");
            answerEveryFrame(req.getInputStream(), resp.getOutputStream());
          }
        });
    context.addServletMappingDecoded("/*", "stream");
    tomcat.start();
    return tomcat;
  }

  private static Stream ours(URI uri) throws IOException {
    HttpStream h = HttpStream.open("POST", uri, AUTH, Duration.ofSeconds(2), Duration.ofSeconds(5));
    // a first frame, as a primary's HELLO: Tomcat sends the response head with the first answer
    OutputStream body = h.body();
    body.write(frame(0x30, 16));
    body.flush();
    if (h.status() != 200) {
      throw new IOException("status " + h.status() + ": " + h.responseText(1000));
    }
    InputStream in = h.response();
    byte[] answer = new byte[ANSWER];
    in.readNBytes(answer, 0, ANSWER);
    return new Stream() {
      @Override
      public void roundTrip(byte[] frame) throws IOException {
        body.write(frame);
        body.flush();
        in.readNBytes(answer, 0, ANSWER);
      }

      @Override
      public void close() throws IOException {
        body.write(frame(0x7F, 0));
        body.close();
        h.close();
      }
    };
  }

  /** One POST per frame over the client's kept-alive connection (the JDK's usual exchange). */
  private static Stream jdkRequests(HttpClient client, URI uri) {
    return new Stream() {
      @Override
      public void roundTrip(byte[] frame) throws IOException {
        HttpRequest req =
            HttpRequest.newBuilder(uri)
                .header("Authorization", AUTH.get("Authorization"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(frame))
                .build();
        try {
          HttpResponse<byte[]> r = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
          if (r.statusCode() != 200 || r.body().length != ANSWER) {
            throw new IOException("status " + r.statusCode() + ", " + r.body().length + " bytes");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
      }

      @Override
      public void close() {}
    };
  }

  /** One streamed request body and response, as ours. */
  private static Stream jdkStream(HttpClient client, URI uri) throws Exception {
    SubmissionPublisher<ByteBuffer> body = new SubmissionPublisher<>(Runnable::run, 16);
    HttpRequest req =
        HttpRequest.newBuilder(uri)
            .header("Authorization", AUTH.get("Authorization"))
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.fromPublisher(body))
            .build();
    CompletableFuture<HttpResponse<InputStream>> response =
        client.sendAsync(req, HttpResponse.BodyHandlers.ofInputStream());
    // the first frame goes before the response head is asked for: the head may only be read
    // once the request has started its body
    byte[] answer = new byte[ANSWER];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (body.getNumberOfSubscribers() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    if (body.getNumberOfSubscribers() == 0) {
      response.cancel(true);
      throw new TimeoutException("the client did not ask for the request body within 5 s");
    }
    body.submit(ByteBuffer.wrap(frame(0x30, 16)));
    HttpResponse<InputStream> r;
    try {
      r = response.get(5, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      body.close();
      response.cancel(true);
      throw new TimeoutException("no response head within 5 s while the request body goes on");
    }
    if (r.statusCode() != 200) {
      throw new IOException("status " + r.statusCode());
    }
    InputStream in = r.body();
    CompletableFuture<Integer> first =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return in.readNBytes(answer, 0, ANSWER);
              } catch (IOException e) {
                throw new RuntimeException(e);
              }
            });
    try {
      first.get(5, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      body.close();
      in.close();
      throw new TimeoutException("no answer within 5 s while the request body goes on");
    }
    return new Stream() {
      @Override
      public void roundTrip(byte[] frame) throws IOException {
        body.submit(ByteBuffer.wrap(frame));
        if (in.readNBytes(answer, 0, ANSWER) < ANSWER) {
          throw new EOFException("the stream ended");
        }
      }

      @Override
      public void close() throws IOException {
        body.submit(ByteBuffer.wrap(frame(0x7F, 0)));
        body.close();
        in.close();
      }
    };
  }

  /** The listener's side: reads whole frames, answers each with an ACK-sized frame, until END. */
  private static void answerEveryFrame(InputStream in, OutputStream out) throws IOException {
    DataInputStream frames = new DataInputStream(in);
    byte[] payload = new byte[PAYLOADS[2]];
    byte[] ack = frame(0x51, ANSWER - 5);
    while (true) {
      int type = frames.read();
      if (type < 0) {
        return; // a request of one frame (jdk-request) ends here
      }
      int length = frames.readInt();
      frames.readFully(payload, 0, length);
      if (type == 0x7F) {
        return;
      }
      out.write(ack);
      out.flush();
    }
  }

  private static byte[] frame(int type, int length) {
    byte[] f = new byte[5 + length];
    f[0] = (byte) type;
    ByteBuffer.wrap(f, 1, 4).putInt(length);
    for (int i = 5; i < f.length; i++) {
      f[i] = (byte) (i * 31);
    }
    return f;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
