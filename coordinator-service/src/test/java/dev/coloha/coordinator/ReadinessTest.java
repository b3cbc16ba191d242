package dev.coloha.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Http;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The coordinator's readiness includes its store. */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "management.endpoint.health.group.readiness.show-components=always")
class ReadinessTest {
  @TempDir static Path data;

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("colo.coordinator.data-dir", () -> data.toString());
  }

  @LocalServerPort int port;

  @Test
  void readinessIncludesTheStore() {
    Http.Reply r = Http.loopback(port, null).get("/actuator/health/readiness");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains("\"coordinatorStore\":{\"status\":\"UP\"}");
  }
}
