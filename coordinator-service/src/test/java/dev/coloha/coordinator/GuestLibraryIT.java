package dev.coloha.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

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
  final HttpClient http = HttpClient.newHttpClient();
  final JsonMapper json = JsonMapper.builder().build();

  private HttpResponse<byte[]> call(String method, String path, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (body != null) {
      b.header("Content-Type", "application/wasm");
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private JsonNode jsonOf(HttpResponse<byte[]> r) {
    return json.readTree(r.body());
  }

  private static byte[] wasm(String path) throws Exception {
    return Files.readAllBytes(Path.of("..", "guests").resolve(path));
  }

  private static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  private static void assertProblem(HttpResponse<byte[]> r, int status, String type, String field) {
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(new String(r.body())).contains("problems/" + type).contains(field);
  }

  @Test
  void aPlainWasiModuleIsInstrumentedStoredByHashAndServed() throws Exception {
    HttpResponse<byte[]> put = call("PUT", "/v1/guests/echo", wasm("counter/counter-plain.wasm"));
    assertThat(put.statusCode()).as(new String(put.body())).isEqualTo(201);
    JsonNode g = jsonOf(put);
    String instrumented = sha256(wasm("counter/counter.wasm"));
    assertThat(g.get("name").asString()).isEqualTo("echo");
    assertThat(g.get("abi").asString()).isEqualTo("wasi-p1");
    assertThat(g.get("hash").asString()).isEqualTo(instrumented);
    assertThat(g.get("size").asLong()).isEqualTo(wasm("counter/counter.wasm").length);
    assertThat(data.resolve("guests/modules/" + instrumented + ".wasm")).exists();

    // an instrumented upload of the same program is the same module
    JsonNode again = jsonOf(call("PUT", "/v1/guests/echo2", wasm("counter/counter.wasm")));
    assertThat(again.get("hash").asString()).isEqualTo(instrumented);

    HttpResponse<byte[]> module = call("GET", "/v1/guests/echo/module", null);
    assertThat(module.statusCode()).isEqualTo(200);
    assertThat(sha256(module.body())).isEqualTo(instrumented);
    assertThat(new String(call("GET", "/v1/guests", null).body()))
        .contains("\"echo\"", "\"echo2\"");

    JsonNode kv = jsonOf(call("PUT", "/v1/guests/store", wasm("kv/kv.wasm")));
    assertThat(kv.get("abi").asString()).isEqualTo("colo-v1");
    assertThat(kv.get("hash").asString()).isEqualTo(sha256(wasm("kv/kv.wasm")));

    assertThat(call("DELETE", "/v1/guests/echo", null).statusCode()).isEqualTo(204);
    assertThat(data.resolve("guests/modules/" + instrumented + ".wasm")).exists(); // echo2
    assertThat(call("DELETE", "/v1/guests/echo2", null).statusCode()).isEqualTo(204);
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
