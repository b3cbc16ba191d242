package dev.coloha.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Http;
import dev.coloha.testkit.spring.ServiceOnRandomPort;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * Slow clients of a group whose replica never answers (so no connection gets a first reply): the
 * oldest of too many unanswered connections is closed, an idle connection is closed after the idle
 * timeout, and one that keeps sending but gets no reply after the first-reply timeout.
 */
@TestPropertySource(
    properties = {
      "colo.proxy.stream.connect-timeout=200ms",
      "colo.proxy.client.idle-timeout=1s",
      "colo.proxy.client.first-reply-timeout=4s",
      "colo.proxy.client.max-unanswered=3"
    })
class ProxySlowClientIT extends ServiceOnRandomPort {
  int groupPort;
  final List<Socket> sockets = new ArrayList<>();

  @BeforeEach
  void group() {
    Http.Reply r =
        api.json(
            "PUT",
            "/v1/groups/slow",
            "{\"epoch\":1,\"listen\":{\"port\":0},\"primary\":{\"agentUrl\":\"http://127.0.0.1:9\","
                + "\"vm\":\"p\"}}");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    groupPort = Integer.parseInt(r.json().get("listen").asString().split(":")[1]);
  }

  @AfterEach
  void cleanUp() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    api.delete("/v1/groups/slow");
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), groupPort);
    s.setSoTimeout(50);
    sockets.add(s);
    return s;
  }

  /** Whether the proxy closed the connection (end of stream or reset); false while it is open. */
  private static boolean closed(Socket s) {
    try {
      InputStream in = s.getInputStream();
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** A partial request byte, so that the connection is not idle. */
  private static void trickle(Socket s) {
    try {
      s.getOutputStream().write('G');
      s.getOutputStream().flush();
    } catch (IOException e) {
      // closed by the proxy: the assertions say so
    }
  }

  @Test
  void theOldestOfTooManyUnansweredConnectionsIsClosed() throws Exception {
    List<Socket> five = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Socket s = connect();
      trickle(s);
      five.add(s);
    }
    await()
        .atMost(Duration.ofSeconds(3))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () -> {
              five.forEach(ProxySlowClientIT::trickle);
              assertThat(closed(five.get(0))).isTrue();
              assertThat(closed(five.get(1))).isTrue();
            });
    for (Socket s : five.subList(2, 5)) {
      trickle(s);
      assertThat(closed(s)).as("a newer connection stays").isFalse();
    }
  }

  @Test
  void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    Socket silent = connect();
    await().atMost(Duration.ofSeconds(10)).until(() -> closed(silent));
  }

  @Test
  void aConnectionWithoutAReplyIsClosedAfterTheFirstReplyTimeout() throws Exception {
    Socket trickling = connect();
    long t0 = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              trickle(trickling);
              return closed(trickling);
            });
    // it kept sending, so it was not the idle timeout (1 s) that closed it
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThan(Duration.ofSeconds(3));
  }
}
