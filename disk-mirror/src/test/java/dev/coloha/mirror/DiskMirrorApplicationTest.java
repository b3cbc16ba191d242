package dev.coloha.mirror;

import dev.coloha.testkit.Actuator;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.Problems;
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

  private Http api() {
    return Http.loopback(port, null);
  }

  @Test
  void reportsHealthAndPrometheusMetrics() {
    Actuator.assertServing(api());
  }

  @Test
  void answersUnknownPathsWithProblemDetails() {
    Problems.assertProblem(api().get("/v1/no-such-thing"), 404, "not-found");
  }
}
