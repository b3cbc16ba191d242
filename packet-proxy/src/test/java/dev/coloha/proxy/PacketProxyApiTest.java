package dev.coloha.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Http;
import dev.coloha.testkit.spring.ServiceOnRandomPort;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/** The coordinator API without agents: validation, fencing, problem details, the event stream. */
@TestPropertySource(properties = {"colo.proxy.stream.connect-timeout=200ms"})
class PacketProxyApiTest extends ServiceOnRandomPort {
  /** An agent URL where nothing listens: the group's streams break at once. */
  static String deadAgent() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return "http://127.0.0.1:" + s.getLocalPort();
    }
  }

  String body(long epoch, String agent, boolean secondary) {
    return "{\"epoch\":"
        + epoch
        + ",\"listen\":{\"port\":0},\"primary\":{\"agentUrl\":\""
        + agent
        + "\",\"vm\":\"p\"}"
        + (secondary ? ",\"secondary\":{\"agentUrl\":\"" + agent + "\",\"vm\":\"s\"}" : "")
        + "}";
  }

  @Test
  void aGroupIsCreatedListedFencedAndDeleted() throws Exception {
    String agent = deadAgent();
    Http.Reply r = api.put("/v1/groups/g1", body(3, agent, true));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.json().get("mode").asString()).isEqualTo("COLO");
    assertThat(r.json().get("listen").asString()).matches("127\\.0\\.0\\.1:\\d+");
    // the agent is not there: the group says so
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> api.get("/v1/groups/g1").json().get("state").asString(), "DEGRADED"::equals);
    assertThat(api.get("/v1/groups").json().size()).isGreaterThanOrEqualTo(1);
    // the same PUT again is fine, a different one needs a higher epoch
    assertThat(api.put("/v1/groups/g1", body(3, agent, true)).status()).isEqualTo(200);
    Http.Reply stale = api.put("/v1/groups/g1", body(2, agent, true));
    assertThat(stale.status()).isEqualTo(409);
    assertThat(stale.contentType()).startsWith("application/problem+json");
    assertThat(stale.json().get("type").asString()).endsWith("/stale-epoch");
    assertThat(stale.json().get("currentEpoch").asLong()).isEqualTo(3);
    // commits are fenced too
    Http.Reply old = api.post("/v1/groups/g1/commits", "{\"epoch\":2,\"sequence\":1}");
    assertThat(old.status()).isEqualTo(409);
    Http.Reply ok = api.post("/v1/groups/g1/commits", "{\"epoch\":3,\"sequence\":1}");
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(ok.json().get("applied").asBoolean()).isTrue();
    assertThat(ok.json().get("compareInterval").asLong()).isEqualTo(2);
    assertThat(
            api.post("/v1/groups/g1/commits", "{\"epoch\":3,\"sequence\":1}")
                .json()
                .get("applied")
                .asBoolean())
        .isFalse();
    // failover to the secondary in a new epoch: single-replica mode
    Http.Reply f =
        api.post(
            "/v1/groups/g1/failover",
            "{\"epoch\":4,\"primary\":{\"agentUrl\":\"" + agent + "\",\"vm\":\"s\"}}");
    assertThat(f.status()).as(f.body()).isEqualTo(200);
    assertThat(f.json().get("state").asString()).isEqualTo("UNPROTECTED");
    assertThat(f.json().get("epoch").asLong()).isEqualTo(4);
    assertThat(f.json().get("primary").get("vm").asString()).isEqualTo("s");
    assertThat(api.delete("/v1/groups/g1").status()).isEqualTo(204);
    assertThat(api.get("/v1/groups/g1").status()).isEqualTo(404);
  }

  @Test
  void badRequestsAreProblemDetails() throws Exception {
    Http.Reply missing = api.put("/v1/groups/g2", "{\"epoch\":1,\"listen\":{\"port\":0}}");
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.contentType()).startsWith("application/problem+json");
    Http.Reply badName = api.put("/v1/groups/bad%20name", body(1, deadAgent(), false));
    assertThat(badName.status()).isEqualTo(400);
    Http.Reply unknown = api.get("/v1/groups/nope");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().get("type").asString()).endsWith("/group-not-found");
    Http.Reply passthroughWithSecondary =
        api.put(
            "/v1/groups/g2",
            body(1, deadAgent(), true)
                .replace("\"listen\"", "\"mode\":\"PASSTHROUGH\",\"listen\""));
    assertThat(passthroughWithSecondary.status()).isEqualTo(400);
    Http.Reply noMismatch = api.get("/v1/groups/nope/mismatches/1/pcap");
    assertThat(noMismatch.status()).isEqualTo(404);
  }

  @Test
  void aTakenPortIsAConflict() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Http.Reply r =
          api.put(
              "/v1/groups/g3",
              body(1, deadAgent(), false)
                  .replace("\"port\":0", "\"port\":" + taken.getLocalPort()));
      assertThat(r.status()).isEqualTo(409);
      assertThat(r.json().get("type").asString()).endsWith("/conflict");
    }
  }

  @Test
  void theEventStreamIsNdjsonWithHeartbeatsAndHistory() throws Exception {
    api.put("/v1/groups/g4", body(1, deadAgent(), true));
    try (var st =
        dev.coloha.wire.http.HttpStream.open(
            "GET",
            java.net.URI.create("http://127.0.0.1:" + port + "/v1/groups/g4/events?since=0"),
            java.util.Map.of(),
            Duration.ofSeconds(5),
            Duration.ofSeconds(30))) {
      assertThat(st.status()).isEqualTo(200);
      assertThat(st.headers().get("content-type")).startsWith("application/x-ndjson");
      var in =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(
                  st.response(), java.nio.charset.StandardCharsets.UTF_8));
      boolean broken = false;
      boolean heartbeat = false;
      for (int i = 0; i < 20 && !(broken && heartbeat); i++) {
        String line = in.readLine();
        broken |= line.contains("\"type\":\"stream-broken\"");
        heartbeat |= line.contains("\"type\":\"heartbeat\"");
      }
      assertThat(broken).isTrue();
      assertThat(heartbeat).isTrue();
    }
    api.delete("/v1/groups/g4");
  }
}
