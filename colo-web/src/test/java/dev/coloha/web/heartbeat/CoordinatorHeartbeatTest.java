package dev.coloha.web.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.HeartbeatReceiver;
import dev.coloha.web.security.SecurityProperties;
import dev.coloha.web.security.ServiceToken;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;

class CoordinatorHeartbeatTest {

  /**
   * A restarted service (a proxy that needs its groups back) registers as soon as it serves: the
   * first beat does not wait out the interval (an hour here).
   */
  @Test
  void theFirstBeatGoesOutAsSoonAsTheServiceServes() throws Exception {
    try (HeartbeatReceiver coordinator = HeartbeatReceiver.start()) {
      CoordinatorHeartbeat heartbeat =
          new CoordinatorHeartbeat(
              new HeartbeatProperties(
                  coordinator.url() + "/",
                  "proxy-1",
                  "proxy",
                  null,
                  Duration.ofHours(1),
                  Duration.ofSeconds(5)),
              new ServiceToken(new SecurityProperties("secret")));
      try {
        heartbeat.onApplicationEvent(served(7703));
        heartbeat.start();

        String beat = coordinator.next(Duration.ofSeconds(30));

        assertThat(beat)
            .isNotNull()
            .startsWith("/v1/hosts/proxy-1/heartbeat ")
            .contains("\"role\":\"proxy\"", "\"url\":\"http://127.0.0.1:7703\"")
            .endsWith("Bearer secret");
      } finally {
        heartbeat.stop();
      }
    }
  }

  /**
   * A standby proxy's heartbeat waits for its gate (the pair's lock): no beat, so no registration,
   * until it opens; then at once, with the facts as they are at that beat (whom it replaces).
   */
  @Test
  void aClosedGateHoldsTheFirstBeatAndTheFactsAreAskedAtEachBeat() throws Exception {
    try (HeartbeatReceiver coordinator = HeartbeatReceiver.start()) {
      CountDownLatch gate = new CountDownLatch(1);
      AtomicReference<Map<String, Object>> facts = new AtomicReference<>(Map.of());
      CoordinatorHeartbeat heartbeat =
          new CoordinatorHeartbeat(
              new HeartbeatProperties(
                  coordinator.url(),
                  "proxy-1",
                  "proxy",
                  null,
                  Duration.ofHours(1),
                  Duration.ofSeconds(5)),
              new ServiceToken(new SecurityProperties("secret")),
              facts::get,
              gate::await);
      try {
        heartbeat.onApplicationEvent(served(7704));
        heartbeat.start();
        assertThat(coordinator.next(Duration.ofMillis(500))).as("no beat while STANDBY").isNull();

        facts.set(Map.of("replaces", "http://127.0.0.1:7703"));
        gate.countDown();

        assertThat(coordinator.next(Duration.ofSeconds(30)))
            .isNotNull()
            .contains(
                "\"url\":\"http://127.0.0.1:7704\"", "\"replaces\":\"http://127.0.0.1:7703\"");
      } finally {
        heartbeat.stop();
      }
    }
  }

  /**
   * The heartbeat is a bean of every service whatever its properties (Spring's build-time AOT fixes
   * conditions at build time): without a coordinator URL it never starts beating.
   */
  @Test
  void withoutACoordinatorUrlItNeverBeats() {
    CoordinatorHeartbeat heartbeat =
        new CoordinatorHeartbeat(
            new HeartbeatProperties(
                " ", "proxy-1", "proxy", null, Duration.ofMillis(10), Duration.ofSeconds(1)),
            new ServiceToken(new SecurityProperties("secret")));
    heartbeat.onApplicationEvent(served(7703));

    heartbeat.start();

    assertThat(heartbeat.enabled()).isFalse();
    assertThat(heartbeat.isRunning()).isFalse();
    heartbeat.stop();
  }

  private static WebServerInitializedEvent served(int port) {
    WebServer server =
        new WebServer() {
          @Override
          public void start() {}

          @Override
          public void stop() {}

          @Override
          public int getPort() {
            return port;
          }
        };
    return new WebServerInitializedEvent(server) {
      @Override
      public WebServerApplicationContext getApplicationContext() {
        return null;
      }
    };
  }
}
