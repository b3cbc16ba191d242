package dev.coloha.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Http;
import dev.coloha.testkit.spring.ServiceOnRandomPort;
import dev.coloha.testkit.spring.TemporaryDataDir;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.test.context.TestPropertySource;

/**
 * Bearer-token authentication through Spring Security (colo-web's BearerTokenSecurity), on a real
 * coordinator: what a Spring Security default would do differently from COLO HA's rules.
 */
@TemporaryDataDir("colo.coordinator.data-dir")
@TestPropertySource(properties = "colo.security.token=" + BearerTokenSecurityIT.TOKEN)
@AutoConfigureMetrics
class BearerTokenSecurityIT extends ServiceOnRandomPort {
  static final String TOKEN = "secret-test-token";

  /** A GET with this Authorization header (none when null). */
  private Http.Reply get(String path, String authorization) {
    return Http.loopback(port, null)
        .send(
            "GET",
            path,
            null,
            null,
            authorization == null ? Map.of() : Map.of("Authorization", authorization));
  }

  private Http.Reply post(String path, String json, String authorization) {
    return Http.loopback(port, null)
        .send(
            "POST",
            path,
            "application/json",
            json.getBytes(StandardCharsets.UTF_8),
            authorization == null ? Map.of() : Map.of("Authorization", authorization));
  }

  @Test
  void aRefusalIsAProblemWithABearerChallengeAndNoSession() {
    Http.Reply missing = get("/v1/groups", null);
    assertThat(missing.status()).isEqualTo(401);
    assertThat(missing.header("WWW-Authenticate")).hasValue("Bearer realm=\"colo-ha\"");
    assertThat(missing.header("Set-Cookie")).isEmpty();
    assertThat(missing.body())
        .contains(
            "\"type\":\"https://coloha.dev/problems/unauthorized\"",
            "\"status\":401",
            "\"field\":\"Authorization\"",
            "missing Authorization header",
            "\"instance\":\"/v1/groups\"");

    Http.Reply wrong = get("/v1/groups", "Bearer nope");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.body()).contains("/problems/unauthorized", "wrong token");
    // the scheme's word must be exact, like the token
    Http.Reply basic = get("/v1/groups", "Basic " + TOKEN);
    assertThat(basic.status()).isEqualTo(401);
    assertThat(basic.body()).contains("wrong token");
    // a token that starts like the right one is still wrong
    Http.Reply longer = get("/v1/groups", "Bearer " + TOKEN + "x");
    assertThat(longer.status()).isEqualTo(401);

    Http.Reply ok = get("/v1/groups", "Bearer " + TOKEN);
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.header("Set-Cookie")).isEmpty();
    // no security headers added to what the services answered before
    assertThat(ok.header("Cache-Control")).isEmpty();
    assertThat(ok.header("X-Frame-Options")).isEmpty();
  }

  @Test
  void probesNeedNoTokenAndIgnoreAWrongOne() {
    for (String probe :
        new String[] {
          "/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness"
        }) {
      assertThat(get(probe, null).status()).as(probe).isEqualTo(200);
      assertThat(get(probe, "Bearer nope").status())
          .as(probe + " with a wrong token")
          .isEqualTo(200);
    }
    // only the probes: the rest of the actuator needs the token
    assertThat(get("/actuator/healthz", null).status()).isEqualTo(401);
    assertThat(get("/actuator/info", null).status()).isEqualTo(401);
    assertThat(get("/v3/api-docs", null).status()).isEqualTo(401);
  }

  @Test
  void noCsrfTokenIsAskedOfAnAuthenticatedChange() {
    Http.Reply r =
        post(
            "/v1/hosts/h1/heartbeat",
            "{\"role\":\"agent\",\"url\":\"http://127.0.0.1:1\"}",
            "Bearer " + TOKEN);
    assertThat(r.status()).as(r.body()).isEqualTo(204);
  }

  @Test
  void authenticationComesBeforeTheBodyLimit() {
    String big = "{\"id\":\"" + "x".repeat(2 << 20) + "\"}";
    Http.Reply r = post("/v1/groups", big, null);
    assertThat(r.status()).isEqualTo(401);
    Http.Reply authenticated = post("/v1/groups", big, "Bearer " + TOKEN);
    assertThat(authenticated.status()).isEqualTo(413);
    assertThat(authenticated.body()).contains("/problems/body-too-large");
  }

  @Test
  void aPathTheFirewallRefusesIsAnInvalidPathProblem() {
    Http.Reply r = get("/v1/groups;jsessionid=x", "Bearer " + TOKEN);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.header("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(r.body()).contains("/problems/invalid-path", "\"field\":\"path\"");
  }
}
