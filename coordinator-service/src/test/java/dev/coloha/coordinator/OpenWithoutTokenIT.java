package dev.coloha.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Http;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Without colo.security.token the API is open, as before Spring Security: no generated password, no
 * login page, every call let through.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OpenWithoutTokenIT {
  @TempDir static Path data;

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("colo.coordinator.data-dir", () -> data.toString());
    r.add("colo.security.token", () -> "");
  }

  @LocalServerPort int port;
  @Autowired ApplicationContext context;

  @Test
  void everyCallIsLetThrough() {
    Http api = Http.loopback(port, null);
    assertThat(api.get("/v1/groups").status()).isEqualTo(200);
    assertThat(api.get("/login").status()).isEqualTo(404);
    assertThat(context.getBeanNamesForType(UserDetailsService.class)).isEmpty();
  }
}
