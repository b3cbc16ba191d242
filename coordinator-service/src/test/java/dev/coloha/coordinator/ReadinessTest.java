package dev.coloha.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Http;
import dev.coloha.testkit.spring.ServiceOnRandomPort;
import dev.coloha.testkit.spring.TemporaryDataDir;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/** The coordinator's readiness includes its store. */
@TemporaryDataDir("colo.coordinator.data-dir")
@TestPropertySource(
    properties = "management.endpoint.health.group.readiness.show-components=always")
class ReadinessTest extends ServiceOnRandomPort {
  @Test
  void readinessIncludesTheStore() {
    Http.Reply r = api.get("/actuator/health/readiness");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains("\"coordinatorStore\":{\"status\":\"UP\"}");
  }
}
