package dev.coloha.proxy;

import static dev.coloha.proxy.testing.KvAgents.LONG;
import static dev.coloha.proxy.testing.KvAgents.benchmark;
import static dev.coloha.proxy.testing.KvAgents.kvVm;
import static dev.coloha.proxy.testing.KvAgents.replica;
import static dev.coloha.testkit.Http.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.proxy.testing.KvAgents;
import dev.coloha.proxy.testing.TestCoordinator;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.ServiceProcess;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
 * {@link ProxyKvIT} runs the same clients against independently booted VMs.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "colo.proxy.self-checkpoint.enabled=false")
@AutoConfigureMetrics
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyColoIT {
  @LocalServerPort int port;
  KvAgents agents;
  Http proxy;

  @BeforeAll
  void agents() throws Exception {
    agents = KvAgents.start("proxy-colo-it", port);
    proxy = agents.proxy;
  }

  @AfterAll
  void stop() {
    if (agents != null) {
      agents.close();
    }
  }

  /** A kv VM on each agent, paired (p primary, s secondary) and protected by a group. */
  int protect(String vm, ServiceProcess p, ServiceProcess s) {
    kvVm(p, vm);
    kvVm(s, vm);
    ok(new Http(s.url()).post("/v1/vms/" + vm + "/secondary", "{\"epoch\":1}"));
    ok(
        new Http(p.url())
            .post(
                "/v1/vms/" + vm + "/primary",
                "{\"epoch\":1,\"secondary\":" + replica(s, vm) + "}"));
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
    return agents.group(
        vm,
        "{\"epoch\":1,\"listen\":{\"port\":0},\"compareTimeout\":\"PT5S\",\"primary\":"
            + replica(p, vm)
            + ",\"secondary\":"
            + replica(s, vm)
            + "}",
        "PROTECTED");
  }

  @Test
  void aClockReplyMismatchesAndTheCommitReleasesExactlyThePrimarysBytes() throws Exception {
    int p = protect("clock", agents.a, agents.b);
    try (TestCoordinator c =
            new TestCoordinator(proxy.base(), "clock", agents.a.url(), "clock", 1);
        Socket s = new Socket("127.0.0.1", p)) {
      // no checkpoints on request in this test: the commit below is the test's own
      c.close();
      s.setSoTimeout(60_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      KvAgents.ClockMismatch m = agents.timeMismatch("clock", out, in);
      JsonNode commit = c.checkpoint();
      assertThat(commit.get("applied").asBoolean()).isTrue();
      byte[] rest = agents.releasedByTheCommit(m, in);
      String hex =
          proxy.get("/v1/groups/clock/mismatches/" + m.id()).json().get("primarySample").asString();
      assertThat(new String(rest, StandardCharsets.US_ASCII))
          .isEqualTo(hex.replace("\\r", "\r").replace("\\n", "\n"));
      // after the checkpoint the replicas agree again: the next reply is compared and released
      out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(new String(in.readNBytes(7), StandardCharsets.US_ASCII)).isEqualTo("+PONG\r\n");
      JsonNode counters = agents.view("clock").get("counters");
      assertThat(counters.get("committedSequence").asLong()).isPositive();
      assertThat(counters.get("releasedCommittedBytes").asLong())
          .isEqualTo(m.primaryEnd() - m.offset());
    }
    agents.delete("clock");
  }

  @Test
  void redisBenchmarkWithCheckpointsOnRequestHasNoErrors() {
    int p = protect("bench", agents.a, agents.b);
    try (TestCoordinator c =
        new TestCoordinator(proxy.base(), "bench", agents.a.url(), "bench", 1)) {
      String out = benchmark(p, "-t", "set,get,incr", "-n", "50000");
      assertThat(out).contains("\"SET\"", "\"GET\"", "\"INCR\"");
      assertThat(c.failure()).isNull();
      JsonNode counters = agents.view("bench").get("counters");
      // INCR from 50 clients on one counter diverges (the replicas interleave the clients
      // differently); every divergence was resolved by a checkpoint
      assertThat(counters.get("comparedBytes").asLong()).isGreaterThan(500_000);
      System.out.printf(
          "bench: %d checkpoint requests, %d checkpoints, counters %s%n",
          c.requests(), c.checkpoints(), counters);
    }
    agents.delete("bench");
  }

  @Test
  void killingThePrimaryFailsOverWithNoGapAndNoDuplicate() throws Exception {
    ServiceProcess c = ServiceProcess.agent("agent-c", agents.data.resolve("c"));
    ServiceProcess d = ServiceProcess.agent("agent-d", agents.data.resolve("d"));
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
            .until(() -> agents.view("fo").get("state").asString(), "DEGRADED"::equals);
        // the coordinator: promote the secondary in epoch 2, then switch the proxy
        ok(new Http(d.url()).post("/v1/vms/fo/promote", "{\"epoch\":2}"));
        JsonNode v =
            ok(
                proxy.post(
                    "/v1/groups/fo/failover",
                    "{\"epoch\":2,\"primary\":" + replica(d, "fo") + "}"));
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
      JsonNode counters = agents.view("fo").get("counters");
      assertThat(counters.get("releasedSingleBytes").asLong()).isPositive();
      agents.delete("fo");
    }
  }
}
