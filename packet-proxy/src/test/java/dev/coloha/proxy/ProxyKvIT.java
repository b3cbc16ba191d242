package dev.coloha.proxy;

import static dev.coloha.proxy.testing.KvAgents.LONG;
import static dev.coloha.proxy.testing.KvAgents.benchmark;
import static dev.coloha.proxy.testing.KvAgents.cli;
import static dev.coloha.proxy.testing.KvAgents.kvVm;
import static dev.coloha.proxy.testing.KvAgents.replica;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.proxy.testing.KvAgents;
import dev.coloha.testkit.Command;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.ServiceProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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
 * The proxy with two real replica agents (processes) running independently booted kv VMs: their
 * SET/GET/INCR output matches without any checkpoint, TIME does not. Real clients (redis-cli,
 * redis-benchmark) talk to the proxy; the test acts as the coordinator. {@link ProxyColoIT} runs
 * the same clients against a replicated pair.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureMetrics
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProxyKvIT {
  @LocalServerPort int port;
  KvAgents agents;
  Http proxy;
  ServiceProcess a;
  ServiceProcess b;
  Path data;

  @BeforeAll
  void agents() throws Exception {
    agents = KvAgents.start("proxy-kv-it", port);
    proxy = agents.proxy;
    a = agents.a;
    b = agents.b;
    data = agents.data;
  }

  @AfterAll
  void stop() {
    if (agents != null) {
      agents.close();
    }
  }

  /** Creates a kv VM on both agents and a COLO group over them; returns the client port. */
  int group(String name, String mode) {
    kvVm(a, name);
    kvVm(b, name);
    String secondary = mode.equals("COLO") ? ",\"secondary\":" + replica(b, name) : "";
    return agents.group(
        name,
        "{\"epoch\":1,\"listen\":{\"port\":0},\"mode\":\""
            + mode
            + "\",\"compareTimeout\":\"PT10S\",\"primary\":"
            + replica(a, name)
            + secondary
            + "}",
        mode.equals("COLO") ? "PROTECTED" : "PASSTHROUGH");
  }

  JsonNode view(String group) {
    return agents.view(group);
  }

  @Test
  void redisCliWorksThroughTheProxyAndOutputIsCompared() {
    int p = group("cli", "COLO");
    assertThat(cli(p, "PING")).isEqualTo("PONG");
    assertThat(cli(p, "SET", "user:1", "ada")).isEqualTo("OK");
    assertThat(cli(p, "GET", "user:1")).isEqualTo("ada");
    assertThat(cli(p, "INCR", "n")).isEqualTo("1");
    JsonNode c = view("cli").get("counters");
    assertThat(c.get("comparedBytes").asLong()).isPositive();
    assertThat(c.get("mismatches").asLong()).isZero();
    assertThat(c.get("releasedMatchedBytes").asLong()).isEqualTo(c.get("comparedBytes").asLong());
    agents.delete("cli");
  }

  /**
   * 50 clients SET and GET one key: every reply is compared and matches. INCR from 50 clients on
   * one counter diverges for real (the replicas interleave the connections differently), which
   * needs checkpoints; until the coordinator's side exists, INCR runs from one pipelined client.
   */
  @Test
  void redisBenchmarkThroughTheProxyHasNoErrors() {
    int p = group("bench", "COLO");
    String out = benchmark(p, "-t", "set,get", "-n", "50000");
    assertThat(out).contains("\"SET\"").contains("\"GET\"");
    out = benchmark(p, "-t", "incr", "-n", "50000", "-c", "1", "-P", "16");
    assertThat(out).contains("\"INCR\"");
    JsonNode g = view("bench");
    assertThat(g.get("counters").get("mismatches").asLong()).isZero();
    // every reply was compared: 150,000 replies of at least 4 bytes each
    assertThat(g.get("counters").get("comparedBytes").asLong()).isGreaterThan(600_000);
    assertThat(g.get("counters").get("releasedCommittedBytes").asLong()).isZero();
    assertThat(cli(p, "GET", "key:__rand_int__")).hasSize(3); // redis-benchmark's value
    assertThat(proxy.get("/actuator/prometheus").body())
        .contains("colo_proxy_compared_bytes_total{application=\"packet-proxy\",group=\"bench\"}")
        .contains("colo_proxy_hold_delay_seconds_bucket")
        .contains("colo_proxy_connections_open");
    agents.delete("bench");
  }

  @Test
  void timeMismatchesAndTheCommitReleasesExactlyThePrimarysBytes() throws Exception {
    int p = group("clock", "COLO");
    try (Socket s = new Socket("127.0.0.1", p)) {
      s.setSoTimeout(60_000);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      KvAgents.ClockMismatch m = agents.timeMismatch("clock", out, in);
      long offset = m.offset();
      // the test is the coordinator: it commits checkpoint 0 (the VMs are in interval 0)
      Http.Reply c =
          proxy.post(
              "/v1/groups/clock/commits",
              "{\"epoch\":1,\"sequence\":0,\"outputOffsets\":[{\"conn\":"
                  + m.conn()
                  + ",\"offset\":"
                  + m.primaryEnd()
                  + "}]}");
      assertThat(c.status()).as(c.body()).isEqualTo(200);
      assertThat(c.json().get("applied").asBoolean()).isTrue();
      byte[] rest = agents.releasedByTheCommit(m, in);
      // exactly the primary's bytes: the sample of the primary from the divergence on
      String primarySampleHex =
          proxy.get("/v1/groups/clock/mismatches").json().get(0).get("pcap").asString();
      assertThat(primarySampleHex).endsWith("/pcap");
      byte[] sample = HexFormat.of().parseHex(primarySampleHexOf(m.id()));
      assertThat(Arrays.copyOf(rest, sample.length)).isEqualTo(sample);

      // forensics: the .pcap opens in tshark and shows both flows
      byte[] pcap = proxy.bytes("/v1/groups/clock/mismatches/" + m.id() + "/pcap");
      Path file = data.resolve("mismatch.pcap");
      Files.write(file, pcap);
      Command.Result t =
          Command.run(
              Duration.ofSeconds(60),
              "tshark",
              "-r",
              file.toString(),
              "-o",
              "tcp.relative_sequence_numbers:FALSE",
              "-T",
              "fields",
              "-e",
              "ip.src",
              "-e",
              "tcp.seq",
              "-e",
              "tcp.len");
      assertThat(t.exit()).as(t.output()).isZero();
      assertThat(t.output()).contains("192.0.2.10\t").contains("192.0.2.20\t");
      assertThat(t.output())
          .contains("192.0.2.10\t" + offset + "\t")
          .contains("192.0.2.20\t" + offset + "\t");
    }
    agents.delete("clock");
  }

  String primarySampleHexOf(long id) {
    // the event stream carries the hex sample; replay the history from the start
    for (String line : eventLines("clock")) {
      if (line.contains("\"type\":\"mismatch\"") && line.contains("\"mismatch\":" + id + ",")) {
        return line.replaceAll(".*\"primarySampleHex\":\"([0-9a-f]*)\".*", "$1");
      }
    }
    throw new AssertionError("no mismatch event " + id);
  }

  /** Reads the event stream (history first) until its first heartbeat. */
  java.util.List<String> eventLines(String group) {
    java.util.List<String> lines = new java.util.ArrayList<>();
    try (var st =
        dev.coloha.wire.http.HttpStream.open(
            "GET",
            java.net.URI.create(
                "http://127.0.0.1:" + port + "/v1/groups/" + group + "/events?since=0"),
            java.util.Map.of(),
            Duration.ofSeconds(5),
            Duration.ofSeconds(30))) {
      assertThat(st.status()).isEqualTo(200);
      assertThat(st.headers().get("content-type")).startsWith("application/x-ndjson");
      var reader =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(st.response(), StandardCharsets.UTF_8));
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (line.contains("\"type\":\"heartbeat\"")) {
          break;
        }
        lines.add(line);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return lines;
  }

  /**
   * A restarted proxy serves running replicas anew: the connections they still have (their clients
   * went with the old proxy) are ended on both, and new clients get ids above every id they know.
   */
  @Test
  void aGroupServedAnewEndsTheLostConnectionsAndNumbersItsClientsAbove() throws Exception {
    int p = group("anew", "COLO");
    try (java.net.Socket lost = new java.net.Socket("127.0.0.1", p)) {
      lost.getOutputStream().write("*1\r\n$4\r\nPING\r\n".getBytes());
      byte[] pong = lost.getInputStream().readNBytes(7);
      assertThat(new String(pong)).isEqualTo("+PONG\r\n");
      // the proxy goes away without a word to the agents (here: its group is deleted while the
      // agents keep the connection, as after a kill -9 of the proxy)
      assertThat(proxy.delete("/v1/groups/anew").status()).isEqualTo(204);
    }
    JsonNode before = new Http(a.url()).get("/v1/vms/anew").json();
    int highest = before.get("highestConnection").asInt();
    java.util.List<Integer> open = new java.util.ArrayList<>();
    before.get("openConnections").forEach(n -> open.add(n.asInt()));
    StringBuilder lostConnections = new StringBuilder();
    for (int conn : open) {
      lostConnections.append(lostConnections.isEmpty() ? "" : ",");
      lostConnections.append("{\"conn\":").append(conn).append(",\"offset\":14}");
    }
    Http.Reply r =
        proxy.put(
            "/v1/groups/anew",
            "{\"epoch\":1,\"listen\":{\"port\":0},\"mode\":\"COLO\",\"compareTimeout\":\"PT10S\","
                + "\"primary\":{\"agentUrl\":\""
                + a.url()
                + "\",\"vm\":\"anew\"},\"secondary\":{\"agentUrl\":\""
                + b.url()
                + "\",\"vm\":\"anew\"},\"resume\":{\"nextConnection\":"
                + (highest + 1)
                + ",\"lostConnections\":["
                + lostConnections
                + "]}}");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    int port = KvAgents.clientPort(r.json());
    for (ServiceProcess x : new ServiceProcess[] {a, b}) {
      await()
          .atMost(LONG)
          .until(
              () -> new Http(x.url()).get("/v1/vms/anew").json().get("openConnections").size(),
              n -> n == 0);
    }
    assertThat(cli(port, "SET", "anew", "1")).isEqualTo("OK");
    assertThat(new Http(a.url()).get("/v1/vms/anew").json().get("highestConnection").asInt())
        .isEqualTo(highest + 1);
    assertThat(view("anew").get("counters").get("mismatches").asLong()).isZero();
    assertThat(proxy.delete("/v1/groups/anew").status()).isEqualTo(204);
  }

  /**
   * A client that pipelines GETs of a 64 KiB value and reads nothing (26 MB of replies, far more
   * than its `limits.client-buffer` and the loopback sockets hold) holds up no other client of the
   * group: the client loop keeps reading them and their replies go out. Once it reads, it gets
   * every reply whole and in order.
   */
  @Test
  void aClientThatDoesNotReadHoldsUpNoOtherClient() throws Exception {
    int p = group("stuck", "COLO");
    byte[] value = new byte[64 * 1024];
    Arrays.fill(value, (byte) 'v');
    try (Socket slow = new Socket("127.0.0.1", p)) {
      slow.setSoTimeout((int) LONG.toMillis());
      OutputStream out = slow.getOutputStream();
      out.write(("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + value.length + "\r\n").getBytes());
      out.write(value);
      out.write("\r\n".getBytes());
      out.flush();
      InputStream in = slow.getInputStream();
      assertThat(new String(in.readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("+OK\r\n");
      int gets = 400;
      Thread writer =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      for (int i = 0; i < gets; i++) {
                        out.write("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".getBytes());
                      }
                      out.flush();
                    } catch (java.io.IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  });
      await()
          .atMost(LONG)
          .until(
              () ->
                  view("stuck").get("counters").get("releasedMatchedBytes").asLong()
                      > 1_500_000); // its replies fill the client buffer: its gate is closed

      for (int i = 0; i < 20; i++) {
        assertThat(cli(p, "SET", "k" + i, "x" + i)).isEqualTo("OK");
        assertThat(cli(p, "GET", "k" + i)).isEqualTo("x" + i);
      }

      byte[] header = ("$" + value.length + "\r\n").getBytes();
      for (int i = 0; i < gets; i++) {
        assertThat(in.readNBytes(header.length)).as("reply %d", i).isEqualTo(header);
        assertThat(in.readNBytes(value.length)).isEqualTo(value);
        assertThat(in.readNBytes(2)).isEqualTo("\r\n".getBytes());
      }
      writer.join();
    }
    assertThat(view("stuck").get("counters").get("mismatches").asLong()).isZero();
    agents.delete("stuck");
  }

  @Test
  void passthroughRelaysOneReplica() {
    int p = group("pass", "PASSTHROUGH");
    assertThat(cli(p, "SET", "k", "v")).isEqualTo("OK");
    assertThat(cli(p, "GET", "k")).isEqualTo("v");
    assertThat(cli(p, "TIME").lines().count()).isEqualTo(2);
    JsonNode c = view("pass").get("counters");
    assertThat(c.get("releasedSingleBytes").asLong()).isPositive();
    assertThat(c.get("comparedBytes").asLong()).isZero();
    agents.delete("pass");
  }
}
