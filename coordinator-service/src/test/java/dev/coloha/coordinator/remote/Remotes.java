package dev.coloha.coordinator.remote;

import dev.coloha.web.security.SecurityProperties;
import dev.coloha.web.security.ServiceToken;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import java.time.Duration;
import tools.jackson.databind.json.JsonMapper;

/**
 * A {@link Remote} as the coordinator builds one (default retries, a plain JSON mapper), with the
 * services' token and the test's own breakers and connect timeout: the tests of its clients.
 */
final class Remotes {
  private Remotes() {}

  static Remote of(String token, CircuitBreakerRegistry breakers, Duration connectTimeout) {
    return new Remote(
        JsonMapper.builder().build(),
        new ServiceToken(new SecurityProperties(token)),
        breakers,
        RetryRegistry.ofDefaults(),
        connectTimeout);
  }

  static Remote of(String token, Duration connectTimeout) {
    return of(token, CircuitBreakerRegistry.ofDefaults(), connectTimeout);
  }
}
