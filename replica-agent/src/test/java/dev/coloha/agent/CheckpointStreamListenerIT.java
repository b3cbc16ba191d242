package dev.coloha.agent;

import static dev.coloha.agent.testing.Pairs.dirtyVm;
import static dev.coloha.agent.testing.Pairs.pair;
import static dev.coloha.testkit.Http.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.MiniCluster;
import dev.coloha.testkit.ServiceProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/**
 * The agent's checkpoint-stream listener (a blocking HTTP/1.1 socket per stream beside the HTTP
 * server): pairs replicate through it, an agent without it is reached through its HTTP server, and
 * whatever is not a well-formed, authorised stream request gets a problem document.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CheckpointStreamListenerIT {
  private static final Pattern LISTENER_PORT = Pattern.compile("checkpoint streams on port (\\d+)");
  private MiniCluster cluster;
  private byte[] dirtyWasm;
  private ServiceProcess primary;
  private ServiceProcess withListener;
  private ServiceProcess withoutListener;
  private ServiceProcess guarded;

  @BeforeAll
  void agents() throws Exception {
    dirtyWasm = Files.readAllBytes(Path.of("..", "guests", "testing", "dirty.wasm"));
    cluster =
        MiniCluster.under(Path.of("target", "it", "stream-listener"))
            .agents("host-p", "host-l")
            .agent("host-h", "--colo.agent.replication.stream-port=-1")
            .agent(
                "host-g", "--colo.security.token=s3cret", "--colo.agent.replication.max-streams=2")
            .start();
    primary = cluster.agent("host-p");
    withListener = cluster.agent("host-l");
    withoutListener = cluster.agent("host-h");
    guarded = cluster.agent("host-g");
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void vm(ServiceProcess host, String id, boolean start) {
    dirtyVm(host, id, dirtyWasm, 67108864, start);
  }

  private static JsonNode verifiedCheckpoint(ServiceProcess host, String vm) {
    JsonNode ck =
        ok(host.api().post("/v1/vms/" + vm + "/checkpoint", "{\"epoch\":1,\"verify\":true}"));
    assertThat(ck.get("secondaryDigest").asString()).isEqualTo(ck.get("primaryDigest").asString());
    return ck;
  }

  private static int listenerPort(ServiceProcess host) {
    Matcher m = LISTENER_PORT.matcher(host.log());
    assertThat(m.find()).as("listener port in the log").isTrue();
    return Integer.parseInt(m.group(1));
  }

  @Test
  void aPairReplicatesThroughTheListenerOfItsSecondary() {
    JsonNode endpoint = ok(withListener.api().get("/v1/replica-stream"));
    assertThat(endpoint.get("port").asInt()).isEqualTo(listenerPort(withListener));

    vm(primary, "p1", true);
    vm(withListener, "s1", false);
    pair(primary, "p1", withListener, "s1", 1);
    verifiedCheckpoint(primary, "p1");
    verifiedCheckpoint(primary, "p1");
    assertThat(withListener.log()).contains("checkpoint stream for VM s1 (epoch 1)");
  }

  @Test
  void withoutAListenerTheStreamGoesThroughTheHttpServer() {
    assertThat(withoutListener.api().get("/v1/replica-stream").status()).isEqualTo(404);

    vm(primary, "p2", true);
    vm(withoutListener, "s2", false);
    pair(primary, "p2", withoutListener, "s2", 1);
    verifiedCheckpoint(primary, "p2");
    assertThat(withoutListener.log()).doesNotContain("checkpoint stream for VM");
  }

  @Test
  void requestsThatAreNotAnAuthorisedStreamGetProblemDocuments() throws IOException {
    int open = listenerPort(withListener);
    int closed = listenerPort(guarded);
    String chunked = "Transfer-Encoding: chunked\r\n";

    Reply noToken =
        exchange(closed, "POST /v1/vms/x/replica-stream?epoch=1 HTTP/1.1\r\n" + chunked + "\r\n");
    assertThat(noToken.status()).isEqualTo(401);
    assertThat(noToken.body()).contains("/problems/unauthorized", "missing Authorization");
    Reply wrongToken =
        exchange(
            closed,
            "POST /v1/vms/x/replica-stream?epoch=1 HTTP/1.1\r\nAuthorization: Bearer nope\r\n"
                + chunked
                + "\r\n");
    assertThat(wrongToken.status()).isEqualTo(401);
    Reply rightToken =
        exchange(
            closed,
            "POST /v1/vms/x/replica-stream?epoch=1 HTTP/1.1\r\nAuthorization: Bearer s3cret\r\n"
                + chunked
                + "\r\n");
    assertThat(rightToken.status()).as(rightToken.body()).isEqualTo(404);
    assertThat(rightToken.body()).contains("/problems/vm-not-found");

    assertThat(exchange(open, "SSH-2.0-OpenSSH\r\n\r\n").status()).isEqualTo(400);
    assertThat(exchange(open, "POST /v1/vms HTTP/1.1\r\n" + chunked + "\r\n").status())
        .isEqualTo(404);
    assertThat(exchange(open, "GET /v1/vms/x/replica-stream?epoch=1 HTTP/1.1\r\n\r\n").status())
        .isEqualTo(405);
    Reply notChunked =
        exchange(
            open, "POST /v1/vms/x/replica-stream?epoch=1 HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assertThat(notChunked.status()).isEqualTo(400);
    assertThat(notChunked.body()).contains("chunked");

    vm(withListener, "s3", false);
    ok(withListener.api().post("/v1/vms/s3/secondary", "{\"epoch\":5}"));
    Reply stale =
        exchange(open, "POST /v1/vms/s3/replica-stream?epoch=4 HTTP/1.1\r\n" + chunked + "\r\n");
    assertThat(stale.status()).isEqualTo(409);
    assertThat(stale.body()).contains("/problems/stale-epoch", "\"currentEpoch\":5");
  }

  @Test
  void connectionsBeyondMaxStreamsAreRefusedWithoutAThreadEach() throws Exception {
    int port = listenerPort(guarded);
    try (Socket a = new Socket(InetAddress.getLoopbackAddress(), port);
        Socket b = new Socket(InetAddress.getLoopbackAddress(), port)) {
      // two connections that say nothing hold both slots
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                Reply third =
                    exchange(port, "POST /v1/vms/x/replica-stream?epoch=1 HTTP/1.1\r\n\r\n");
                assertThat(third.status()).isEqualTo(503);
                assertThat(third.body()).contains("2 checkpoint streams at most");
              });
    }
    // closed: their slots come back
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        exchange(port, "POST /v1/vms/x/replica-stream?epoch=1 HTTP/1.1\r\n\r\n")
                            .status())
                    .isEqualTo(401));
  }

  private record Reply(int status, String body) {}

  /** Sends a raw request head and reads the whole answer (the listener closes after an error). */
  private static Reply exchange(int port, String request) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int status = Integer.parseInt(all.substring(9, 12));
      int body = all.indexOf("\r\n\r\n");
      return new Reply(status, body < 0 ? "" : all.substring(body + 4));
    }
  }
}
