package dev.coloha.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Http;
import org.junit.jupiter.api.Test;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "colo.coordinator.data-dir=target/test-data/app")
@AutoConfigureMetrics
class CoordinatorApplicationTest {
  @LocalServerPort int port;

  private Http.Reply get(String path) {
    return Http.loopback(port, null).get(path);
  }

  @Test
  void reportsHealthAndPrometheusMetrics() throws Exception {
    assertThat(get("/actuator/health").body()).contains("\"status\":\"UP\"");
    Http.Reply metrics = get("/actuator/prometheus");
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body()).contains("jvm_memory_used_bytes");
  }

  @Test
  void answersUnknownPathsWithProblemDetails() throws Exception {
    Http.Reply r = get("/v1/no-such-thing");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.contentType()).startsWith("application/problem+json");
  }
}
