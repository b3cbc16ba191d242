package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Ports;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * An ordinary WASI program, protected unchanged: the plain module of {@code guests/counter} (a line
 * server written against POSIX headers, blocking in poll, as clang writes it) uploaded to the
 * coordinator's guest library, which instruments it and delivers it to the agents; a protected
 * group of it through the proxy, a client on one TCP connection, {@code kill -9} of the primary's
 * agent mid-stream. Every line the client saw answered is in the state the new primary carries on
 * from: the answers' numbers run on without a gap or a repeat, on the same connection.
 */
@Tag("long") // ./colo test --long (CI runs it after ./colo test): docs/testing.md
class WasiGuestFailoverIT {

  @Test
  void killingThePrimaryOfAWasiGuestLosesNoAnsweredLine() throws Exception {
    Lab lab = Lab.shared();
    JsonNode uploaded =
        Lab.JSON.readTree(
            lab.putWasm(
                lab.coordinatorUrl() + "/v1/guests/echo",
                Files.readAllBytes(Lab.ROOT.resolve("guests/counter/counter-plain.wasm"))));
    assertThat(uploaded.get("abi").asString()).isEqualTo("wasi-p1");
    int port = Ports.free();
    lab.post(
        lab.coordinatorUrl() + "/v1/groups",
        "{\"id\":\"cnt\",\"guest\":\"echo\",\"port\":" + port + ",\"diskBytes\":0}");
    JsonNode g = lab.awaitProtected("cnt", Duration.ofMinutes(3));
    String oldPrimary = g.get("primary").get("host").asString();
    String oldSecondary = g.get("secondary").get("host").asString();

    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(60_000);
      OutputStream out = s.getOutputStream();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      int n = 1;
      for (; n <= 200; n++) {
        assertThat(ask(out, in, "line-" + n)).isEqualTo(n + " line-" + n);
      }
      lab.kill(oldPrimary + "/agent");
      long t0 = System.nanoTime();
      for (; n <= 400; n++) {
        assertThat(ask(out, in, "line-" + n))
            .as("line %d after the kill", n)
            .isEqualTo(n + " line-" + n);
      }
      System.out.println(
          "200 lines after kill -9 of the WASI guest's primary took "
              + (System.nanoTime() - t0) / 1_000_000
              + " ms");
    }
    JsonNode after = lab.awaitProtected("cnt", Duration.ofMinutes(2));
    assertThat(after.get("primary").get("host").asString()).isEqualTo(oldSecondary);
    assertThat(after.get("secondary").get("host").asString()).isNotEqualTo(oldPrimary);

    // a new client continues the same count
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      assertThat(ask(s.getOutputStream(), in, "fresh")).isEqualTo("401 fresh");
    }

    lab.start(oldPrimary + "/agent");
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> lab.status().get("services").toString().contains("\"alive\":true"));
  }

  private static String ask(OutputStream out, BufferedReader in, String line) throws Exception {
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
    return in.readLine();
  }
}
