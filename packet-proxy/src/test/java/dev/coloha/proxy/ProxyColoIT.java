package dev.coloha.proxy;

import static dev.coloha.testkit.Http.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.proxy.testing.TestCoordinator;
import dev.coloha.testkit.Command;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.MiniCluster;
import dev.coloha.testkit.ServiceProcess;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * COLO end to end: two agent processes whose kv VMs are a replicated pair (live initial sync,
 * checkpoints on request), the proxy in front, real clients, and the test acting as the coordinator
 * (checkpoints on the proxy's requests, commits, failover). The proxy's own self-checkpoints are
 * off: no coordinator follows the events here, and on a loaded machine a self-checkpoint (300 ms
 * after a mismatch) committed before the test's own commit, which then found nothing to apply.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "colo.proxy.self-checkpoint.enabled=false")
@AutoConfigureMetrics
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyColoIT {
  static final Duration LONG = Duration.ofSeconds(120);

  @LocalServerPort int port;
  Http proxy;
  MiniCluster agents;
  ServiceProcess a;
  ServiceProcess b;
  Path data;

  @BeforeAll
  void agents() throws Exception {
    agents = MiniCluster.inTempDir("proxy-colo-it").agents("agent-a", "agent-b").start();
    data = agents.dir();
    a = agents.agent("agent-a");
    b = agents.agent("agent-b");
    proxy = new Http("http://127.0.0.1:" + port);
  }

  @AfterAll
  void stop() {
    if (agents != null) {
      agents.close();
    }
  }

  /** A kv VM on each agent, paired (p primary, s secondary) and protected by a group. */
  int protect(String vm, ServiceProcess p, ServiceProcess s) {
    for (ServiceProcess x : new ServiceProcess[] {p, s}) {
      ok(
          new Http(x.url())
              .post(
                  "/v1/vms",
                  "{\"id\":\"" + vm + "\",\"guest\":\"kv\",\"diskBytes\":0,\"start\":true}"));
    }
    ok(new Http(s.url()).post("/v1/vms/" + vm + "/secondary", "{\"epoch\":1}"));
    ok(
        new Http(p.url())
            .post(
                "/v1/vms/" + vm + "/primary",
                "{\"epoch\":1,\"secondary\":{\"agentUrl\":\""
                    + s.url()
                    + "\",\"vm\":\""
                    + vm
                    + "\"}}"));
    await("initial sync of " + vm)
        .atMost(LONG)
        .until(
            () ->
                new Http(p.url())
                    .get("/v1/vms/" + vm + "/replication")
                    .json()
                    .get("state")
                    .asString(),
            "PROTECTED"::equals);
    JsonNode g =
        ok(
            proxy.put(
                "/v1/groups/" + vm,
                "{\"epoch\":1,\"listen\":{\"port\":0},\"compareTimeout\":\"PT5S\","
                    + "\"primary\":{\"agentUrl\":\""
                    + p.url()
                    + "\",\"vm\":\""
                    + vm
                    + "\"},\"secondary\":{\"agentUrl\":\""
                    + s.url()
                    + "\",\"vm\":\""
                    + vm
                    + "\"}}"));
    await()
        .atMost(LONG)
        .until(
            () -> proxy.get("/v1/groups/" + vm).json().get("state").asString(),
            "PROTECTED"::equals);
    return Integer.parseInt(g.get("listen").asString().split(":")[1]);
  }

  @Test
  void aClockReplyMismatchesAndTheCommitReleasesExactlyThePrimarysBytes() throws Exception {
    int p = protect("clock", a, b);
    try (TestCoordinator c = new TestCoordinator(proxy.base(), "clock", a.url(), "clock", 1);
        Socket s = new Socket("127.0.0.1", p)) {
      // no checkpoints on request in this test: the commit below is the test's own
      c.close();
      s.setSoTimeout(60_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      out.write("*1\r\n$4\r\nTIME\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      await().atMost(LONG).until(() -> proxy.get("/v1/groups/clock/mismatches").json().size() > 0);
      JsonNode m = proxy.get("/v1/groups/clock/mismatches").json().get(0);
      assertThat(m.get("kind").asString()).isEqualTo("CONTENT");
      int offset = m.get("offset").asInt();
      byte[] prefix = in.readNBytes(offset);
      assertThat(in.available()).isZero();
      JsonNode commit = c.checkpoint();
      assertThat(commit.get("applied").asBoolean()).isTrue();
      int primaryEnd = m.get("primaryEnd").asInt();
      byte[] rest = in.readNBytes(primaryEnd - offset);
      String reply =
          new String(prefix, StandardCharsets.US_ASCII)
              + new String(rest, StandardCharsets.US_ASCII);
      assertThat(reply).matches("\\*2\\r\\n\\$10\\r\\n\\d{10}\\r\\n\\$\\d\\r\\n\\d+\\r\\n");
      String hex =
          proxy
              .get("/v1/groups/clock/mismatches/" + m.get("id").asLong())
              .json()
              .get("primarySample")
              .asString();
      assertThat(new String(rest, StandardCharsets.US_ASCII))
          .isEqualTo(hex.replace("\\r", "\r").replace("\\n", "\n"));
      // after the checkpoint the replicas agree again: the next reply is compared and released
      out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(new String(in.readNBytes(7), StandardCharsets.US_ASCII)).isEqualTo("+PONG\r\n");
      JsonNode counters = proxy.get("/v1/groups/clock").json().get("counters");
      assertThat(counters.get("committedSequence").asLong()).isPositive();
      assertThat(counters.get("releasedCommittedBytes").asLong()).isEqualTo(primaryEnd - offset);
      assertThat(HexFormat.of().formatHex(rest)).isNotEmpty();
    }
    ok(proxy.delete("/v1/groups/clock"));
  }

  @Test
  void redisBenchmarkWithCheckpointsOnRequestHasNoErrors() {
    int p = protect("bench", a, b);
    try (TestCoordinator c = new TestCoordinator(proxy.base(), "bench", a.url(), "bench", 1)) {
      Command.Result r =
          Command.run(
              Duration.ofMinutes(4),
              "redis-benchmark",
              "-p",
              Integer.toString(p),
              "-t",
              "set,get,incr",
              "-n",
              "50000",
              "--csv");
      assertThat(r.exit()).as(r.output()).isZero();
      assertThat(r.output()).contains("\"SET\"", "\"GET\"", "\"INCR\"");
      assertThat(r.output()).doesNotContainIgnoringCase("error");
      assertThat(c.failure()).isNull();
      JsonNode counters = proxy.get("/v1/groups/bench").json().get("counters");
      // INCR from 50 clients on one counter diverges (the replicas interleave the clients
      // differently); every divergence was resolved by a checkpoint
      assertThat(counters.get("comparedBytes").asLong()).isGreaterThan(500_000);
      System.out.printf(
          "bench: %d checkpoint requests, %d checkpoints, counters %s%n",
          c.requests(), c.checkpoints(), counters);
    }
    ok(proxy.delete("/v1/groups/bench"));
  }

  @Test
  void killingThePrimaryFailsOverWithNoGapAndNoDuplicate() throws Exception {
    ServiceProcess c = ServiceProcess.agent("agent-c", data.resolve("c"));
    ServiceProcess d = ServiceProcess.agent("agent-d", data.resolve("d"));
    try (c;
        d) {
      int p = protect("fo", c, d);
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      StringBuilder want = new StringBuilder();
      try (Socket s = new Socket("127.0.0.1", p)) {
        s.setSoTimeout(60_000);
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        byte[] incr = "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n".getBytes(StandardCharsets.US_ASCII);
        for (int i = 1; i <= 50; i++) {
          out.write(incr);
          out.flush();
          String reply = ":" + i + "\r\n";
          want.append(reply);
          got.writeBytes(in.readNBytes(reply.length()));
        }
        // three more in flight when the primary's host dies
        for (int i = 51; i <= 53; i++) {
          out.write(incr);
          want.append(":").append(i).append("\r\n");
        }
        out.flush();
        c.kill();
        await("the proxy sees the primary's streams break")
            .atMost(LONG)
            .until(
                () -> proxy.get("/v1/groups/fo").json().get("state").asString(),
                "DEGRADED"::equals);
        // the coordinator: promote the secondary in epoch 2, then switch the proxy
        ok(new Http(d.url()).post("/v1/vms/fo/promote", "{\"epoch\":2}"));
        JsonNode v =
            ok(
                proxy.post(
                    "/v1/groups/fo/failover",
                    "{\"epoch\":2,\"primary\":{\"agentUrl\":\"" + d.url() + "\",\"vm\":\"fo\"}}"));
        assertThat(v.get("state").asString()).isEqualTo("UNPROTECTED");
        for (int i = 54; i <= 80; i++) {
          out.write(incr);
          out.flush();
          want.append(":").append(i).append("\r\n");
        }
        got.writeBytes(in.readNBytes(want.length() - got.size()));
        assertThat(got.toString(StandardCharsets.US_ASCII)).isEqualTo(want.toString());
        s.setSoTimeout(500);
        assertThat(in.available()).isZero();
      }
      JsonNode counters = proxy.get("/v1/groups/fo").json().get("counters");
      assertThat(counters.get("releasedSingleBytes").asLong()).isPositive();
      ok(proxy.delete("/v1/groups/fo"));
    }
  }
}
