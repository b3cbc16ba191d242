package dev.coloha.coordinator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.spring.ServiceOnRandomPort;
import dev.coloha.testkit.spring.TemporaryDataDir;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.test.context.TestPropertySource;

/**
 * Without colo.security.token the API is open, as before Spring Security: no generated password, no
 * login page, every call let through.
 */
@TemporaryDataDir("colo.coordinator.data-dir")
@TestPropertySource(properties = "colo.security.token=")
class OpenWithoutTokenIT extends ServiceOnRandomPort {
  @Autowired ApplicationContext context;

  @Test
  void everyCallIsLetThrough() {
    assertThat(api.get("/v1/groups").status()).isEqualTo(200);
    assertThat(api.get("/login").status()).isEqualTo(404);
    assertThat(context.getBeanNamesForType(UserDetailsService.class)).isEmpty();
  }
}
