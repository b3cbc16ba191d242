package dev.coloha.testkit.spring;

import dev.coloha.testkit.Http;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * A service's Spring application started for a test class on a random loopback port
 * ({@code @SpringBootTest} with a random port), and {@link #api}, the test kit's HTTP client of it
 * with the bearer token the service takes ({@code colo.security.token}; none when it has none). A
 * test class adds what is its own: the service's data directory ({@link TemporaryDataDir}),
 * settings ({@code @TestPropertySource}), {@code @AutoConfigureMetrics}.
 *
 * <pre>{@code
 * @TemporaryDataDir("colo.agent.data-dir")
 * @TestPropertySource(properties = "colo.security.token=" + AgentContractIT.TOKEN)
 * class AgentContractIT extends ApiContract { ... }
 * }</pre>
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class ServiceOnRandomPort {
  /** The port the service listens on. */
  @LocalServerPort protected int port;

  @Value("${colo.security.token:}")
  private String token;

  /** The HTTP client of the service, with its bearer token; new for each test. */
  protected Http api;

  @BeforeEach
  protected final void connectToTheService() {
    api = Http.loopback(port, token.isEmpty() ? null : token);
  }
}
