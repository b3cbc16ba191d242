package dev.coloha.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The kit's stand-in for the coordinator's heartbeat endpoint, driven by the kit's own HTTP client:
 * beats are answered 204 and kept in order, a response's headers are read by name in any case.
 */
class HeartbeatReceiverTest {
  @Test
  void keepsEachBeatWithItsPathBodyAndTokenInOrder() throws Exception {
    try (HeartbeatReceiver coordinator = HeartbeatReceiver.start()) {
      Http http = new Http(coordinator.url(), "secret");
      Http.Reply first = http.post("/v1/hosts/h1/heartbeat", "{\"role\":\"agent\"}");
      http.post("/v1/hosts/h2/heartbeat", "{\"role\":\"proxy\"}");

      assertThat(first.status()).isEqualTo(204);
      assertThat(coordinator.next(Duration.ofSeconds(5)))
          .isEqualTo("/v1/hosts/h1/heartbeat {\"role\":\"agent\"} Bearer secret");
      assertThat(coordinator.next(Duration.ofSeconds(5))).startsWith("/v1/hosts/h2/heartbeat ");
      assertThat(coordinator.next(Duration.ofMillis(100))).as("no third beat").isNull();
    }
  }

  @Test
  void aReplyHeaderIsFoundWhateverItsCase() {
    Http.Reply r =
        new Http.Reply(
            200, "text/plain", "", Map.of("www-authenticate", java.util.List.of("Bearer x")));
    assertThat(r.header("WWW-Authenticate")).hasValue("Bearer x");
    assertThat(r.header("Set-Cookie")).isEmpty();
  }
}
