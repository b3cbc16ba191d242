package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.testkit.Command;
import dev.coloha.testkit.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A program this project did not write, protected unchanged: Debian's micro-httpd (source package
 * 20140814-2.1, {@code guests/third-party/micro-httpd}), built by the stock toolchain. It is an
 * inetd program (the request on standard input, the answer on standard output, exit after one
 * request), so its group says {@code "network": "inetd"}: every connection is served by a fresh
 * instance of the module. Uploaded through the coordinator's guest library (which instruments it),
 * protected with a disk whose {@code /data} holds the group's files; curl through the proxy (a
 * file, the directory listing, a 404), concurrent connections, then {@code kill -9} of the
 * primary's agent under a load of requests: every request is answered, correctly.
 */
class MicroHttpdIT {
  private static final int CLIENTS = 3;
  private static final String HELLO = "hello from an unchanged Debian program\n";

  @Test
  void debiansMicroHttpdIsProtectedUnchangedAndAnswersEveryRequestAcrossAFailover()
      throws Exception {
    Lab lab = Lab.shared();
    long t0 = System.nanoTime();
    JsonNode uploaded =
        lab.uploadGuest("micro-httpd", "guests/third-party/micro-httpd/micro-httpd.wasm");
    assertThat(uploaded.get("abi").asString()).isEqualTo("wasi-p1");
    int port = Ports.free();
    String group =
        "{\"id\":\"mhttpd\",\"guest\":\"micro-httpd\",\"port\":"
            + port
            + ",\"diskBytes\":"
            + (16 << 20)
            + ",\"args\":[\"/data\"],\"network\":\"%s\",\"files\":{\"hello.txt\":\""
            + HELLO.replace("\n", "\\n")
            + "\"}}";
    assertThatThrownBy(() -> lab.post(lab.coordinatorUrl() + "/v1/groups", group.formatted("x")))
        .hasMessageContaining("400")
        .hasMessageContaining("network");
    lab.post(lab.coordinatorUrl() + "/v1/groups", group.formatted("inetd"));
    JsonNode g = lab.awaitProtected("mhttpd", Duration.ofMinutes(3));
    assertThat(lab.coordinatorGroup("mhttpd").get("network").asString()).isEqualTo("inetd");
    String base = "http://127.0.0.1:" + port;

    // curl through the proxy: a file, the listing, a missing file, a directory without its slash
    assertThat(curl(base + "/hello.txt")).isEqualTo(HELLO);
    String head = curl("-i", base + "/hello.txt");
    assertThat(head)
        .startsWith("HTTP/1.0 200 Ok")
        .contains("Server: micro_httpd", "Content-Type: text/plain");
    assertThat(curl(base + "/")).contains("Index of ./", "hello.txt");
    assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", base + "/missing.txt"))
        .isEqualTo("404");
    assertThat(curl("-o", "/dev/null", "-w", "%{http_code}", base + "/..%2f..%2fetc"))
        .isEqualTo("400");

    // concurrent connections: served one at a time, in order, every one answered
    List<Thread> burst = new ArrayList<>();
    ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    for (int i = 0; i < 8; i++) {
      boolean found = i % 2 == 0;
      burst.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      check(port, found);
                    } catch (Exception e) {
                      errors.add(e.toString());
                    }
                  }));
    }
    for (Thread t : burst) {
      t.join(Duration.ofMinutes(1));
    }
    assertThat(errors).as("concurrent requests").isEmpty();

    // kill -9 of the primary's agent while clients keep asking
    String killed = g.get("primary").get("host").asString() + "/agent";
    long epoch = lab.group("mhttpd").get("epoch").asLong();
    Lab.Load load =
        lab.killUnderLoad(
            killed,
            CLIENTS,
            20,
            50,
            () -> (AutoCloseable) () -> {},
            (none, client, i) -> check(port, (i + client) % 3 != 0));
    assertThat(load.errors()).as("unanswered or wrong answers").isEmpty();
    assertThat(curl(base + "/hello.txt")).isEqualTo(HELLO);
    JsonNode after = lab.awaitProtected("mhttpd", Duration.ofMinutes(2));
    assertThat(after.get("epoch").asLong()).isGreaterThan(epoch);
    System.out.println(
        load.answered()
            + " requests to micro-httpd answered ("
            + (load.answered() - load.atKill())
            + " after kill -9 of "
            + killed
            + "); the test took "
            + (System.nanoTime() - t0) / 1_000_000
            + " ms (the shared lab's start not counted)");
    lab.start(killed);
    // the lab is shared with the other system tests: the group's VMs go
    assertThat(lab.delete(lab.coordinatorUrl() + "/v1/groups/mhttpd")).isEqualTo(204);
  }

  /** One HTTP/1.0 request on its own connection, read to the end: the answer must be right. */
  private static void check(int port, boolean found) throws IOException {
    String path = found ? "/hello.txt" : "/missing.txt";
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(60_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET " + path + " HTTP/1.0\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      if (found) {
        if (!answer.startsWith("HTTP/1.0 200 Ok\r\n") || !answer.endsWith("\r\n\r\n" + HELLO)) {
          throw new IOException("GET " + path + " answered: " + shorten(answer));
        }
      } else if (!answer.startsWith("HTTP/1.0 404 Not Found\r\n")) {
        throw new IOException("GET " + path + " answered: " + shorten(answer));
      }
    }
  }

  private static String shorten(String s) {
    return s.isEmpty()
        ? "(nothing: the connection closed)"
        : s.substring(0, Math.min(200, s.length()));
  }

  private static String curl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
    cmd.addAll(List.of(args));
    return Command.run(Duration.ofSeconds(60), Map.of(), cmd).requireOk().out();
  }
}
