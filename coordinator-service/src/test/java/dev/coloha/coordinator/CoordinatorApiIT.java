package dev.coloha.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The coordinator's API on a real server: authentication, hosts, group validation, events. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureMetrics
class CoordinatorApiIT {
  static final String TOKEN = "secret-test-token";
  @TempDir static Path data;

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("colo.coordinator.data-dir", () -> data.toString());
    r.add("colo.security.token", () -> TOKEN);
  }

  @LocalServerPort int port;
  final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> call(String method, String path, String body, boolean auth)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (auth) {
      b.header("Authorization", "Bearer " + TOKEN);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void everyApiNeedsTheTokenButHealthProbesDoNot() throws Exception {
    HttpResponse<String> r = call("GET", "/v1/groups", null, false);
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(r.body()).contains("unauthorized");
    assertThat(call("GET", "/actuator/prometheus", null, false).statusCode()).isEqualTo(401);
    assertThat(
            call(
                    "POST",
                    "/v1/hosts/h/heartbeat",
                    "{\"role\":\"agent\",\"url\":\"http://x\"}",
                    false)
                .statusCode())
        .isEqualTo(401);
    HttpRequest wrong =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/groups"))
            .header("Authorization", "Bearer nope")
            .build();
    assertThat(http.send(wrong, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
    assertThat(call("GET", "/actuator/health/liveness", null, false).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/v1/groups", null, true).statusCode()).isEqualTo(200);
    assertThat(call("GET", "/actuator/prometheus", null, true).body())
        .contains("colo_api_rejected_total{", "type=\"unauthorized\"");
  }

  @Test
  void hostsRegisterByHeartbeatAndCanBeDeclaredLost() throws Exception {
    assertThat(
            call(
                    "POST",
                    "/v1/hosts/h1/heartbeat",
                    "{\"role\":\"agent\",\"url\":\"http://127.0.0.1:1\"}",
                    true)
                .statusCode())
        .isEqualTo(204);
    assertThat(
            call(
                    "POST",
                    "/v1/hosts/h1/heartbeat",
                    "{\"role\":\"mirror\",\"url\":\"http://127.0.0.1:2\"}",
                    true)
                .statusCode())
        .isEqualTo(204);
    assertThat(
            call(
                    "POST",
                    "/v1/hosts/p/heartbeat",
                    "{\"role\":\"proxy\",\"url\":\"http://127.0.0.1:3\"}",
                    true)
                .statusCode())
        .isEqualTo(204);
    assertThat(call("GET", "/v1/hosts", null, true).body())
        .contains("\"name\":\"h1\"", "http://127.0.0.1:1", "http://127.0.0.1:2");
    assertThat(call("GET", "/v1/proxies", null, true).body()).contains("http://127.0.0.1:3");
    assertThat(
            call(
                    "POST",
                    "/v1/hosts/h1/heartbeat",
                    "{\"role\":\"router\",\"url\":\"http://x\"}",
                    true)
                .statusCode())
        .isEqualTo(400);
    assertThat(call("POST", "/v1/hosts/h1/lost", null, true).statusCode()).isEqualTo(202);
    assertThat(call("GET", "/v1/hosts", null, true).body()).contains("\"lost\":true");
    assertThat(call("POST", "/v1/hosts/nope/lost", null, true).statusCode()).isEqualTo(404);
  }

  @Test
  void badGroupRequestsGetProblemDetails() throws Exception {
    assertThat(
            call("POST", "/v1/groups", "{\"id\":\"Bad Id\",\"guest\":\"kv\",\"port\":6000}", true)
                .statusCode())
        .isEqualTo(400);
    assertThat(
            call("POST", "/v1/groups", "{\"id\":\"g\",\"guest\":\"kv\",\"port\":70000}", true)
                .statusCode())
        .isEqualTo(400);
    assertThat(
            call(
                    "POST",
                    "/v1/groups",
                    "{\"id\":\"g\",\"guest\":\"kv\",\"port\":6000,\"policy\":{\"missedBeats\":0}}",
                    true)
                .statusCode())
        .isEqualTo(400);
    HttpResponse<String> missing = call("GET", "/v1/groups/nope", null, true);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("https://coloha.dev/problems/not-found");
  }

  @Test
  void aGroupWithoutHostsWaitsInCreationAndEventsTellPortals() throws Exception {
    HttpResponse<String> created =
        call("POST", "/v1/groups", "{\"id\":\"lonely\",\"guest\":\"kv\",\"port\":6001}", true);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
    assertThat(
            call("POST", "/v1/groups", "{\"id\":\"lonely\",\"guest\":\"kv\",\"port\":6002}", true)
                .statusCode())
        .isEqualTo(409);
    assertThat(
            call("POST", "/v1/groups", "{\"id\":\"other\",\"guest\":\"kv\",\"port\":6001}", true)
                .statusCode())
        .isEqualTo(409);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(call("GET", "/v1/groups/lonely", null, true).body())
                    .contains("\"state\":\"CREATING\"", "retrying", "no proxy"));
    HttpResponse<String> history = call("GET", "/v1/groups/lonely/history", null, true);
    assertThat(history.body()).contains("\"kind\":\"created\"", "\"kind\":\"protect-failed\"");
    HttpRequest sse =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/events"))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Accept", "text/event-stream")
            .build();
    String first =
        http.send(sse, HttpResponse.BodyHandlers.ofLines())
            .body()
            .filter(l -> l.startsWith("data:"))
            .findFirst()
            .orElseThrow();
    assertThat(first).contains("\"group\":\"lonely\"");
    assertThat(call("DELETE", "/v1/groups/lonely", null, true).statusCode()).isEqualTo(204);
    assertThat(call("GET", "/v1/groups/lonely", null, true).statusCode()).isEqualTo(404);
  }
}
