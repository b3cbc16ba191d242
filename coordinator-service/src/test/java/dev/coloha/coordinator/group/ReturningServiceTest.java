package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Row 9 of the fault matrix: a service comes back; its heartbeat closes its circuit breaker. The
 * services are fakes on loopback ({@link FaultMatrixCase}).
 */
class ReturningServiceTest extends FaultMatrixCase {
  @Test
  void row9AServiceThatComesBackHasItsCircuitBreakerClosedByItsHeartbeat() {
    try (GroupService service = rig.service()) {
      for (String role : java.util.List.of("agent", "mirror", "proxy")) {
        String url =
            switch (role) {
              case "agent" -> agent("h1").url();
              case "mirror" -> mirror("h1").url();
              default -> rig.proxy.url();
            };
        String target =
            switch (role) {
              case "agent" -> dev.coloha.coordinator.remote.AgentClient.target(url);
              case "mirror" -> dev.coloha.coordinator.remote.MirrorClient.target(url);
              default -> dev.coloha.coordinator.remote.ProxyClient.target(url);
            };
        var breaker = rig.breakers.circuitBreaker(target);
        breaker.transitionToOpenState(); // its predecessor on that address stopped answering

        service.heartbeat(role.equals("proxy") ? "proxy" : "h1", role, url);

        assertThat(breaker.getState())
            .as("%s breaker after its heartbeat", role)
            .isEqualTo(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED);
      }
    }
  }
}
