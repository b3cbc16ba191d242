package dev.coloha.coordinator;

import dev.coloha.testkit.Actuator;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.Problems;
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
