package dev.coloha.coordinator;

import dev.coloha.testkit.OpenApiSnapshot;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** docs/api/coordinator-service.openapi.json must match the controllers. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OpenApiDescriptionTest {
  @TempDir static Path data;

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("colo.coordinator.data-dir", () -> data.toString());
  }

  @LocalServerPort int port;

  @Test
  void committedDescriptionMatchesTheControllers() throws Exception {
    OpenApiSnapshot.check(port, "coordinator-service");
  }
}
