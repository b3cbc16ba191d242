package dev.coloha.coordinator.remote;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A restarted service on its old address does not inherit its predecessor's open breaker; a 4xx is
 * an answer and does not open a breaker, a service that does not answer or fails with 5xx does.
 */
class RemoteBreakerTest {

  /** A real HTTP server on loopback that answers every request with {@code status}. */
  private static HttpServer answering(int status) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.createContext(
        "/",
        x -> {
          byte[] body =
              ("{\"type\":\"https://colo-ha.dev/problems/group-not-found\",\"status\":"
                      + status
                      + "}")
                  .getBytes(java.nio.charset.StandardCharsets.UTF_8);
          x.getResponseHeaders().add("Content-Type", "application/problem+json");
          x.sendResponseHeaders(status, body.length);
          x.getResponseBody().write(body);
          x.close();
        });
    s.start();
    return s;
  }

  /** Breakers as the application configures them (application.yml): 5 calls suffice to judge. */
  private static CircuitBreakerRegistry appBreakers() {
    return CircuitBreakerRegistry.of(
        io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.custom()
            .slidingWindowSize(10)
            .minimumNumberOfCalls(5)
            .failureRateThreshold(50)
            .build());
  }

  private static Remote remote(CircuitBreakerRegistry breakers) {
    return Remotes.of("t", breakers, Duration.ofSeconds(1));
  }

  private static int calls(Remote r, String target, String url, int n) {
    int answered = 0;
    for (int i = 0; i < n; i++) {
      try {
        r.call(target, Remote.Idempotence.ONCE, "POST", url, null, null, Duration.ofSeconds(2));
      } catch (RemoteException e) {
        answered++;
      } catch (UnreachableException e) {
        // refused, or the breaker is open
      }
    }
    return answered;
  }

  @Test
  void clientErrorsAreAnswersAndDoNotOpenTheBreaker() throws IOException {
    HttpServer s = answering(404);
    try {
      CircuitBreakerRegistry breakers = appBreakers();
      String url = "http://127.0.0.1:" + s.getAddress().getPort() + "/v1/groups/kv/commits";
      assertThat(calls(remote(breakers), "proxy:a", url, 30)).isEqualTo(30);
      assertThat(breakers.circuitBreaker("proxy:a").getState())
          .isEqualTo(CircuitBreaker.State.CLOSED);
    } finally {
      s.stop(0);
    }
  }

  @Test
  void serverErrorsOpenTheBreaker() throws IOException {
    HttpServer s = answering(500);
    try {
      CircuitBreakerRegistry breakers = appBreakers();
      String url = "http://127.0.0.1:" + s.getAddress().getPort() + "/x";
      calls(remote(breakers), "proxy:b", url, 30);
      assertThat(breakers.circuitBreaker("proxy:b").getState())
          .isEqualTo(CircuitBreaker.State.OPEN);
    } finally {
      s.stop(0);
    }
  }

  @Test
  void resetBreakerClosesAnOpenBreakerAndLeavesAClosedOneAlone() {
    CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    Remote remote = remote(breakers);
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
