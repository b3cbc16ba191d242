package dev.coloha.web.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.coloha.web.security.SecurityProperties;
import dev.coloha.web.security.ServiceToken;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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
    BlockingQueue<String> beats = new LinkedBlockingQueue<>();
    HttpServer coordinator = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    coordinator.createContext(
        "/v1/hosts/",
        exchange -> {
          beats.add(
              exchange.getRequestURI().getPath()
                  + " "
                  + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)
                  + " "
                  + exchange.getRequestHeaders().getFirst("Authorization"));
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    coordinator.start();
    CoordinatorHeartbeat heartbeat =
        new CoordinatorHeartbeat(
            new HeartbeatProperties(
                "http://127.0.0.1:" + coordinator.getAddress().getPort() + "/",
                "proxy-1",
                "proxy",
                null,
                Duration.ofHours(1),
                Duration.ofSeconds(5)),
            new ServiceToken(new SecurityProperties("secret")));
    try {
      heartbeat.onApplicationEvent(served(7703));
      heartbeat.start();

      String beat = beats.poll(30, TimeUnit.SECONDS);

      assertThat(beat)
          .isNotNull()
          .startsWith("/v1/hosts/proxy-1/heartbeat ")
          .contains("\"role\":\"proxy\"", "\"url\":\"http://127.0.0.1:7703\"")
          .endsWith("Bearer secret");
    } finally {
      heartbeat.stop();
      coordinator.stop(0);
    }
  }

  /**
   * A standby proxy's heartbeat waits for its gate (the pair's lock): no beat, so no registration,
   * until it opens; then at once, with the facts as they are at that beat (whom it replaces).
   */
  @Test
  void aClosedGateHoldsTheFirstBeatAndTheFactsAreAskedAtEachBeat() throws Exception {
    BlockingQueue<String> beats = new LinkedBlockingQueue<>();
    HttpServer coordinator = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    coordinator.createContext(
        "/v1/hosts/",
        exchange -> {
          beats.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    coordinator.start();
    CountDownLatch gate = new CountDownLatch(1);
    AtomicReference<Map<String, Object>> facts = new AtomicReference<>(Map.of());
    CoordinatorHeartbeat heartbeat =
        new CoordinatorHeartbeat(
            new HeartbeatProperties(
                "http://127.0.0.1:" + coordinator.getAddress().getPort(),
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
      assertThat(beats.poll(500, TimeUnit.MILLISECONDS)).as("no beat while STANDBY").isNull();

      facts.set(Map.of("replaces", "http://127.0.0.1:7703"));
      gate.countDown();

      assertThat(beats.poll(30, TimeUnit.SECONDS))
          .isNotNull()
          .contains("\"url\":\"http://127.0.0.1:7704\"", "\"replaces\":\"http://127.0.0.1:7703\"");
    } finally {
      heartbeat.stop();
      coordinator.stop(0);
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
