package dev.coloha.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Bearer-token authentication through Spring Security (colo-web's BearerTokenSecurity), on a real
 * coordinator: what a Spring Security default would do differently from COLO HA's rules.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureMetrics
class BearerTokenSecurityIT {
  static final String TOKEN = "secret-test-token";
  @TempDir static Path data;

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("colo.coordinator.data-dir", () -> data.toString());
    r.add("colo.security.token", () -> TOKEN);
  }

  @LocalServerPort int port;
  final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder at(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
  }

  @Test
  void aRefusalIsAProblemWithABearerChallengeAndNoSession() throws Exception {
    HttpResponse<String> missing = send(at("/v1/groups"));
    assertThat(missing.statusCode()).isEqualTo(401);
    assertThat(missing.headers().firstValue("WWW-Authenticate"))
        .hasValue("Bearer realm=\"colo-ha\"");
    assertThat(missing.headers().firstValue("Set-Cookie")).isEmpty();
    assertThat(missing.body())
        .contains(
            "\"type\":\"https://coloha.dev/problems/unauthorized\"",
            "\"status\":401",
            "\"field\":\"Authorization\"",
            "missing Authorization header",
            "\"instance\":\"/v1/groups\"");

    HttpResponse<String> wrong = send(at("/v1/groups").header("Authorization", "Bearer nope"));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).contains("/problems/unauthorized", "wrong token");
    // the scheme's word must be exact, like the token
    HttpResponse<String> basic = send(at("/v1/groups").header("Authorization", "Basic " + TOKEN));
    assertThat(basic.statusCode()).isEqualTo(401);
    assertThat(basic.body()).contains("wrong token");
    // a token that starts like the right one is still wrong
    HttpResponse<String> longer =
        send(at("/v1/groups").header("Authorization", "Bearer " + TOKEN + "x"));
    assertThat(longer.statusCode()).isEqualTo(401);

    HttpResponse<String> ok = send(at("/v1/groups").header("Authorization", "Bearer " + TOKEN));
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.headers().firstValue("Set-Cookie")).isEmpty();
    // no security headers added to what the services answered before
    assertThat(ok.headers().firstValue("Cache-Control")).isEmpty();
    assertThat(ok.headers().firstValue("X-Frame-Options")).isEmpty();
  }

  @Test
  void probesNeedNoTokenAndIgnoreAWrongOne() throws Exception {
    for (String probe :
        new String[] {
          "/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness"
        }) {
      assertThat(send(at(probe)).statusCode()).as(probe).isEqualTo(200);
      assertThat(send(at(probe).header("Authorization", "Bearer nope")).statusCode())
          .as(probe + " with a wrong token")
          .isEqualTo(200);
    }
    // only the probes: the rest of the actuator needs the token
    assertThat(send(at("/actuator/healthz")).statusCode()).isEqualTo(401);
    assertThat(send(at("/actuator/info")).statusCode()).isEqualTo(401);
    assertThat(send(at("/v3/api-docs")).statusCode()).isEqualTo(401);
  }

  @Test
  void noCsrfTokenIsAskedOfAnAuthenticatedChange() throws Exception {
    HttpResponse<String> r =
        send(
            at("/v1/hosts/h1/heartbeat")
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"role\":\"agent\",\"url\":\"http://127.0.0.1:1\"}")));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
  }

  @Test
  void authenticationComesBeforeTheBodyLimit() throws Exception {
    String big = "{\"id\":\"" + "x".repeat(2 << 20) + "\"}";
    HttpResponse<String> r =
        send(
            at("/v1/groups")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(big)));
    assertThat(r.statusCode()).isEqualTo(401);
    HttpResponse<String> authenticated =
        send(
            at("/v1/groups")
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(big)));
    assertThat(authenticated.statusCode()).isEqualTo(413);
    assertThat(authenticated.body()).contains("/problems/body-too-large");
  }

  @Test
  void aPathTheFirewallRefusesIsAnInvalidPathProblem() throws Exception {
    HttpResponse<String> r =
        send(at("/v1/groups;jsessionid=x").header("Authorization", "Bearer " + TOKEN));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(r.body()).contains("/problems/invalid-path", "\"field\":\"path\"");
  }
}
