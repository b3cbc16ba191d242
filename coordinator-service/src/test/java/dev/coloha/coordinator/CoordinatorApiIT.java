package dev.coloha.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Http;
import dev.coloha.testkit.spring.ServiceOnRandomPort;
import dev.coloha.testkit.spring.TemporaryDataDir;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.test.context.TestPropertySource;

/** The coordinator's API on a real server: authentication, hosts, group validation, events. */
@TemporaryDataDir("colo.coordinator.data-dir")
@TestPropertySource(properties = "colo.security.token=" + CoordinatorApiIT.TOKEN)
@AutoConfigureMetrics
class CoordinatorApiIT extends ServiceOnRandomPort {
  static final String TOKEN = "secret-test-token";
  final HttpClient http = HttpClient.newHttpClient();

  private Http.Reply call(String method, String path, String body, boolean auth) {
    return Http.loopback(port, auth ? TOKEN : null)
        .send(
            method,
            path,
            body == null ? null : "application/json",
            body == null ? null : body.getBytes(StandardCharsets.UTF_8),
            Map.of());
  }

  @Test
  void everyApiNeedsTheTokenButHealthProbesDoNot() throws Exception {
    Http.Reply r = call("GET", "/v1/groups", null, false);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.isProblem()).as(r.contentType()).isTrue();
    assertThat(r.body()).contains("unauthorized");
    assertThat(call("GET", "/actuator/prometheus", null, false).status()).isEqualTo(401);
    assertThat(
            call(
                    "POST",
                    "/v1/hosts/h/heartbeat",
                    "{\"role\":\"agent\",\"url\":\"http://x\"}",
                    false)
                .status())
        .isEqualTo(401);
    assertThat(Http.loopback(port, "nope").get("/v1/groups").status()).isEqualTo(401);
    assertThat(call("GET", "/actuator/health/liveness", null, false).status()).isEqualTo(200);
    assertThat(call("GET", "/v1/groups", null, true).status()).isEqualTo(200);
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
                .status())
        .isEqualTo(204);
    assertThat(
            call(
                    "POST",
                    "/v1/hosts/h1/heartbeat",
                    "{\"role\":\"mirror\",\"url\":\"http://127.0.0.1:2\"}",
                    true)
                .status())
        .isEqualTo(204);
    assertThat(
            call(
                    "POST",
                    "/v1/hosts/p/heartbeat",
                    "{\"role\":\"proxy\",\"url\":\"http://127.0.0.1:3\"}",
                    true)
                .status())
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
                .status())
        .isEqualTo(400);
    assertThat(call("POST", "/v1/hosts/h1/lost", null, true).status()).isEqualTo(202);
    assertThat(call("GET", "/v1/hosts", null, true).body()).contains("\"lost\":true");
    assertThat(call("POST", "/v1/hosts/nope/lost", null, true).status()).isEqualTo(404);
  }

  @Test
  void badGroupRequestsGetProblemDetails() throws Exception {
    assertThat(
            call("POST", "/v1/groups", "{\"id\":\"Bad Id\",\"guest\":\"kv\",\"port\":6000}", true)
                .status())
        .isEqualTo(400);
    assertThat(
            call("POST", "/v1/groups", "{\"id\":\"g\",\"guest\":\"kv\",\"port\":70000}", true)
                .status())
        .isEqualTo(400);
    assertThat(
            call(
                    "POST",
                    "/v1/groups",
                    "{\"id\":\"g\",\"guest\":\"kv\",\"port\":6000,\"policy\":{\"missedBeats\":0}}",
                    true)
                .status())
        .isEqualTo(400);
    Http.Reply missing = call("GET", "/v1/groups/nope", null, true);
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.body()).contains("https://coloha.dev/problems/not-found");
  }

  @Test
  void aGroupWithoutHostsWaitsInCreationAndEventsTellPortals() throws Exception {
    Http.Reply created =
        call("POST", "/v1/groups", "{\"id\":\"lonely\",\"guest\":\"kv\",\"port\":6001}", true);
    assertThat(created.status()).as(created.body()).isEqualTo(202);
    assertThat(
            call("POST", "/v1/groups", "{\"id\":\"lonely\",\"guest\":\"kv\",\"port\":6002}", true)
                .status())
        .isEqualTo(409);
    assertThat(
            call("POST", "/v1/groups", "{\"id\":\"other\",\"guest\":\"kv\",\"port\":6001}", true)
                .status())
        .isEqualTo(409);
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(call("GET", "/v1/groups/lonely", null, true).body())
                    .contains("\"state\":\"CREATING\"", "retrying", "no proxy"));
    Http.Reply history = call("GET", "/v1/groups/lonely/history", null, true);
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
    assertThat(call("DELETE", "/v1/groups/lonely", null, true).status()).isEqualTo(204);
    assertThat(call("GET", "/v1/groups/lonely", null, true).status()).isEqualTo(404);
  }
}
