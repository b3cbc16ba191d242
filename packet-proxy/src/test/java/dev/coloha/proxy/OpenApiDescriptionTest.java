package dev.coloha.proxy;

import dev.coloha.testkit.OpenApiSnapshot;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** docs/api/packet-proxy.openapi.json matches the controllers. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OpenApiDescriptionTest {
  @LocalServerPort int port;

  @Test
  void committedDescriptionMatchesTheControllers() throws Exception {
    OpenApiSnapshot.check(port, "packet-proxy");
  }
}
