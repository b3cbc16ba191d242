package dev.coloha.coordinator.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.web.security.SecurityProperties;
import dev.coloha.web.security.ServiceToken;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** A restarted service on its old address does not inherit its predecessor's open breaker. */
class RemoteBreakerTest {

  @Test
  void resetBreakerClosesAnOpenBreakerAndLeavesAClosedOneAlone() {
    CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    Remote remote =
        new Remote(
            JsonMapper.builder().build(),
            new ServiceToken(new SecurityProperties("t")),
            breakers,
            RetryRegistry.ofDefaults(),
            Duration.ofSeconds(1));
    CircuitBreaker b = breakers.circuitBreaker("agent:http://127.0.0.1:1");
    b.transitionToOpenState();
    assertThat(b.tryAcquirePermission()).isFalse();

    remote.resetBreaker("agent:http://127.0.0.1:1");

    assertThat(b.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    assertThat(b.tryAcquirePermission()).isTrue();
    remote.resetBreaker("agent:http://127.0.0.1:2");
    assertThat(breakers.circuitBreaker("agent:http://127.0.0.1:2").getState())
        .isEqualTo(CircuitBreaker.State.CLOSED);
  }
}
