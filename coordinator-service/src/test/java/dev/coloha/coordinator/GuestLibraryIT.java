package dev.coloha.coordinator;

import static dev.coloha.testkit.Guests.wasm;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Http;
import dev.coloha.testkit.Problems;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The coordinator's guest library on a real server: a plain wasm32-wasi module is validated,
 * instrumented with Asyncify by wasm-opt and stored by the hash of the module that runs; bad
 * uploads are problem details.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GuestLibraryIT {
  @TempDir static Path data;

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("colo.coordinator.data-dir", () -> data.toString());
    r.add("colo.coordinator.guests.max-module-size", () -> "1MB");
  }

  @LocalServerPort int port;

  private Http api() {
    return Http.loopback(port, null);
  }

  /** A module upload (a body sent as application/wasm), or a call without a body. */
  private Http.Reply call(String method, String path, byte[] body) {
    return api().send(method, path, body == null ? null : "application/wasm", body, Map.of());
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private static void assertProblem(Http.Reply r, int status, String type, String field) {
    Problems.assertProblem(r, status, type);
    assertThat(r.body()).contains(field);
  }

  @Test
  void aPlainWasiModuleIsInstrumentedStoredByHashAndServed() throws Exception {
    Http.Reply put = call("PUT", "/v1/guests/echo", wasm("counter/counter-plain.wasm"));
    assertThat(put.status()).as(put.body()).isEqualTo(201);
    JsonNode g = put.json();
    String instrumented = sha256(wasm("counter/counter.wasm"));
    assertThat(g.get("name").asString()).isEqualTo("echo");
    assertThat(g.get("abi").asString()).isEqualTo("wasi-p1");
    assertThat(g.get("hash").asString()).isEqualTo(instrumented);
    assertThat(g.get("size").asLong()).isEqualTo(wasm("counter/counter.wasm").length);
    assertThat(data.resolve("guests/modules/" + instrumented + ".wasm")).exists();

    // an instrumented upload of the same program is the same module
    JsonNode again = call("PUT", "/v1/guests/echo2", wasm("counter/counter.wasm")).json();
    assertThat(again.get("hash").asString()).isEqualTo(instrumented);

    byte[] module = api().bytes("/v1/guests/echo/module"); // a 200
    assertThat(sha256(module)).isEqualTo(instrumented);
    assertThat(call("GET", "/v1/guests", null).body()).contains("\"echo\"", "\"echo2\"");

    JsonNode kv = call("PUT", "/v1/guests/store", wasm("kv/kv.wasm")).json();
    assertThat(kv.get("abi").asString()).isEqualTo("colo-v1");
    assertThat(kv.get("hash").asString()).isEqualTo(sha256(wasm("kv/kv.wasm")));

    assertThat(call("DELETE", "/v1/guests/echo", null).status()).isEqualTo(204);
    assertThat(data.resolve("guests/modules/" + instrumented + ".wasm")).exists(); // echo2
    assertThat(call("DELETE", "/v1/guests/echo2", null).status()).isEqualTo(204);
    assertThat(data.resolve("guests/modules/" + instrumented + ".wasm")).doesNotExist();
    assertProblem(call("GET", "/v1/guests/echo", null), 404, "not-found", "echo");
    assertProblem(call("DELETE", "/v1/guests/echo", null), 404, "not-found", "echo");
  }

  @Test
  void badUploadsAreProblemDetails() throws Exception {
    assertProblem(
        call("PUT", "/v1/guests/junk", "not wasm".getBytes()), 422, "invalid-guest", "junk");
    assertProblem(
        call("PUT", "/v1/guests/Bad_Name", wasm("counter/counter.wasm")),
        422,
        "invalid-guest",
        "Bad_Name");
    assertProblem(
        call("PUT", "/v1/guests/big", new byte[(1 << 20) + 1]),
        422,
        "limit-exceeded",
        "guest module size");
    assertProblem(
        call("PUT", "/v1/guests/trap", wasm("testing/abi2.wasm")), 422, "unsupported-abi", "2");
  }
}
