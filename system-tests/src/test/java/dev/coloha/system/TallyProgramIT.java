package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Command;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A program of our own written only against POSIX/WASI headers, not against COLO's guest ABI or its
 * platform layer: {@code guests/tally/tally.c}, an HTTP/1.1 server (keep-alive, bodies by
 * Content-Length, a hit counter and notes in memory), built by the stock toolchain into the plain
 * module {@code guests/tally/tally.wasm}. (No program of Debian's runs unchanged under the WASI
 * network contract; docs/guest-abi.md says which were tried and why each failed.) It is uploaded
 * through the coordinator's guest library, which instruments it, and protected; curl and wrk
 * through the proxy; then {@code kill -9} of its primary's agent under a load of PUTs and POSTs on
 * kept-alive connections: no request fails, every acknowledged note reads back, and the hit numbers
 * the clients were given are exactly 1..n, without a repeat or a gap.
 */
class TallyProgramIT {
  private static final int WRITERS = 2;

  @Test
  void aStockHttpServerIsProtectedAndLosesNoAcknowledgedRequestWhenItsPrimaryIsKilled()
      throws Exception {
    Lab lab = Lab.shared();
    long t0 = System.nanoTime();
    assertThat(lab.uploadGuest("tally", "guests/tally/tally.wasm").get("abi").asString())
        .isEqualTo("wasi-p1");
    int port = lab.protect("tly", "tally");
    JsonNode g = lab.awaitProtected("tly", Duration.ofMinutes(3));
    String base = "http://127.0.0.1:" + port;
    TreeSet<Long> hitNumbers = new TreeSet<>();

    // curl and wrk through the proxy
    assertThat(curl(base + "/")).contains("tally:");
    hitNumbers.add(Long.parseLong(curl("-X", "POST", base + "/hit").trim()));
    assertThat(hitNumbers).containsExactly(1L);
    String head = curl("-i", base + "/hits");
    assertThat(head).startsWith("HTTP/1.1 200 OK").contains("Server: tally/1", "Date: ");
    assertThat(head.strip()).endsWith("1");
    assertThat(
            curl(
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-X",
                "PUT",
                "--data",
                "x",
                base + "/notes/a"))
        .isEqualTo("201");
    assertThat(curl(base + "/notes/a")).isEqualTo("x");
    assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", base + "/notes/none"))
        .isEqualTo("404");
    Command.Result wrk = run("wrk", "-t1", "-c4", "-d2s", base + "/hits");
    System.out.println("wrk against tally through the proxy:\n" + wrk.out());
    assertThat(wrk.out())
        .contains("Requests/sec")
        .doesNotContain("Non-2xx")
        .doesNotContain("Socket errors");

    // kill -9 of the primary's agent under a load of PUTs and POSTs on kept-alive connections
    String killed = g.get("primary").get("host").asString() + "/agent";
    long epoch = lab.group("tly").get("epoch").asLong();
    ConcurrentLinkedQueue<String> notes = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Long> hits = new ConcurrentLinkedQueue<>();
    Lab.Load load =
        lab.killUnderLoad(
            killed,
            WRITERS,
            100,
            200,
            () -> new KeptAlive(port),
            (c, writer, i) -> {
              String key = "w" + writer + "-" + i;
              Reply put = c.call("PUT", "/notes/" + key, "v" + i);
              if (put.status() != 201) {
                throw new IOException("PUT " + key + ": " + put);
              }
              notes.add(key);
              Reply hit = c.call("POST", "/hit", "");
              if (hit.status() != 200) {
                throw new IOException("POST /hit: " + hit);
              }
              hits.add(Long.parseLong(hit.body().trim()));
            });
    assertThat(load.errors()).as("failed requests or broken connections").isEmpty();
    try (KeptAlive c = new KeptAlive(port)) {
      for (String key : notes) {
        assertThat(c.call("GET", "/notes/" + key, "").body())
            .as("acknowledged PUT of %s", key)
            .isEqualTo("v" + key.substring(key.indexOf('-') + 1));
      }
      hitNumbers.addAll(hits);
      long count = Long.parseLong(c.call("GET", "/hits", "").body().trim());
      assertThat(hitNumbers)
          .as("every acknowledged hit has its own number, none lost or repeated")
          .hasSize(1 + hits.size());
      assertThat(hitNumbers.first()).isEqualTo(1L);
      assertThat(hitNumbers.last()).isEqualTo(count).isEqualTo((long) hitNumbers.size());
    }
    JsonNode after = lab.awaitProtected("tly", Duration.ofMinutes(2));
    assertThat(after.get("epoch").asLong()).isGreaterThan(epoch);
    System.out.println(
        notes.size()
            + " acknowledged PUTs and "
            + hits.size()
            + " POSTs, all kept, after kill -9 of "
            + killed
            + "; the test took "
            + (System.nanoTime() - t0) / 1_000_000
            + " ms (the shared lab's start not counted)");
    lab.start(killed);
    // the lab is shared with the other system tests: the group's VMs go
    assertThat(lab.delete(lab.coordinatorUrl() + "/v1/groups/tly")).isEqualTo(204);
  }

  private static String curl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
    cmd.addAll(List.of(args));
    return run(cmd.toArray(String[]::new)).out();
  }

  private static Command.Result run(String... command) throws Exception {
    return Command.run(Duration.ofSeconds(60), Map.of(), List.of(command)).requireOk();
  }

  private record Reply(int status, String body) {}

  /** One kept-alive HTTP/1.1 connection, one request at a time. */
  private static final class KeptAlive implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    KeptAlive(int port) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(60_000);
      out = socket.getOutputStream();
      in = new BufferedInputStream(socket.getInputStream());
    }

    Reply call(String method, String target, String body) throws IOException {
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      String head =
          method
              + " "
              + target
              + " HTTP/1.1\r\nHost: tally\r\nContent-Length: "
              + b.length
              + "\r\n\r\n";
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(b);
      out.flush();
      String status = line();
      int length = 0;
      for (String h = line(); !h.isEmpty(); h = line()) {
        if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          length = Integer.parseInt(h.substring(15).trim());
        }
      }
      byte[] content = in.readNBytes(length);
      if (content.length != length) {
        throw new IOException("connection closed in a response body");
      }
      return new Reply(
          Integer.parseInt(status.split(" ")[1]), new String(content, StandardCharsets.UTF_8));
    }

    private String line() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("connection closed in a response head");
        }
        if (c != '\r') {
          b.write(c);
        }
      }
      return b.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
