package dev.coloha.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Http;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureMetrics
class DiskMirrorApplicationTest {
  @TempDir static Path data;

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("colo.mirror.data-dir", () -> data.toString());
  }

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
