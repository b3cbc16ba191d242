package dev.coloha.proxy.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Command;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.MiniCluster;
import dev.coloha.testkit.ServiceProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Two replica agents (processes) for kv VMs in front of which the proxy under test runs (a Spring
 * Boot test on {@code proxyPort}), and what the kv end-to-end tests do with them: VMs, groups,
 * redis-cli and redis-benchmark through the proxy, and the TIME reply whose replicas differ.
 */
public final class KvAgents implements AutoCloseable {
  /** How long a replica, a group or a mismatch may take to be there. */
  public static final Duration LONG = Duration.ofSeconds(120);

  private static final byte[] TIME = "*1\r\n$4\r\nTIME\r\n".getBytes(StandardCharsets.US_ASCII);

  public final Path data;
  public final ServiceProcess a;
  public final ServiceProcess b;
  public final Http proxy;
  private final MiniCluster cluster;

  private KvAgents(MiniCluster cluster, Http proxy) {
    this.cluster = cluster;
    this.data = cluster.dir();
    this.a = cluster.agent("agent-a");
    this.b = cluster.agent("agent-b");
    this.proxy = proxy;
  }

  /**
   * Starts agents {@code agent-a} and {@code agent-b} as a {@link MiniCluster} under a new
   * directory.
   */
  public static KvAgents start(String name, int proxyPort) {
    MiniCluster cluster = MiniCluster.inTempDir(name).agents("agent-a", "agent-b").start();
    return new KvAgents(cluster, new Http("http://127.0.0.1:" + proxyPort));
  }

  @Override
  public void close() {
    cluster.close();
  }

  /** Creates and starts a kv VM named {@code vm} on {@code agent}. */
  public static void kvVm(ServiceProcess agent, String vm) {
    Http.Reply r =
        new Http(agent.url())
            .post(
                "/v1/vms",
                "{\"id\":\"" + vm + "\",\"guest\":\"kv\",\"diskBytes\":0,\"start\":true}");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  /** A replica reference of a group's body: {@code vm} on {@code agent}. */
  public static String replica(ServiceProcess agent, String vm) {
    return "{\"agentUrl\":\"" + agent.url() + "\",\"vm\":\"" + vm + "\"}";
  }

  /**
   * Creates group {@code name} at the proxy ({@code body}: its PUT body) and waits for {@code
   * state}; returns the port its clients connect to.
   */
  public int group(String name, String body, String state) {
    Http.Reply r = proxy.put("/v1/groups/" + name, body);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    await().atMost(LONG).until(() -> view(name).get("state").asString(), state::equals);
    return clientPort(r.json());
  }

  /** The client port of a group's view. */
  public static int clientPort(JsonNode group) {
    return Integer.parseInt(group.get("listen").asString().split(":")[1]);
  }

  public JsonNode view(String group) {
    return proxy.get("/v1/groups/" + group).json();
  }

  public void delete(String group) {
    assertThat(proxy.delete("/v1/groups/" + group).status()).isEqualTo(204);
  }

  /** redis-cli against {@code port}; returns its output, trimmed. */
  public static String cli(int port, String... args) {
    List<String> argv = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
    argv.addAll(List.of(args));
    Command.Result r = Command.run(Duration.ofSeconds(60), argv.toArray(String[]::new));
    assertThat(r.exit()).as(r.output()).isZero();
    return r.output().trim();
  }

  /**
   * redis-benchmark with its CSV output (no progress lines), without errors; returns the output.
   */
  public static String benchmark(int port, String... args) {
    List<String> argv =
        new ArrayList<>(List.of("redis-benchmark", "-p", Integer.toString(port), "--csv"));
    argv.addAll(List.of(args));
    Command.Result r = Command.run(Duration.ofMinutes(4), argv.toArray(String[]::new));
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).doesNotContainIgnoringCase("error");
    return r.output();
  }

  /** The CONTENT mismatch of a TIME reply, and the common prefix the client got before a commit. */
  public record ClockMismatch(String group, JsonNode mismatch, byte[] prefix) {
    public long id() {
      return mismatch.get("id").asLong();
    }

    public int conn() {
      return mismatch.get("conn").asInt();
    }

    public int offset() {
      return mismatch.get("offset").asInt();
    }

    public int primaryEnd() {
      return mismatch.get("primaryEnd").asInt();
    }
  }

  /**
   * Sends TIME on a client of {@code group}: the replicas' clocks differ, so a CONTENT mismatch is
   * reported and only the common prefix reaches the client.
   */
  public ClockMismatch timeMismatch(String group, OutputStream out, InputStream in)
      throws IOException {
    out.write(TIME);
    out.flush();
    await()
        .atMost(LONG)
        .until(() -> proxy.get("/v1/groups/" + group + "/mismatches").json().size() > 0);
    JsonNode m = proxy.get("/v1/groups/" + group + "/mismatches").json().get(0);
    assertThat(m.get("kind").asString()).isEqualTo("CONTENT");
    byte[] prefix = in.readNBytes(m.get("offset").asInt());
    assertThat(in.available()).isZero();
    return new ClockMismatch(group, m, prefix);
  }

  /**
   * After the commit that covers the mismatch: the rest of the reply is exactly the primary's bytes
   * up to its end (released by the commit), and prefix and rest are one whole TIME reply. Returns
   * the rest.
   */
  public byte[] releasedByTheCommit(ClockMismatch m, InputStream in) throws IOException {
    byte[] rest = in.readNBytes(m.primaryEnd() - m.offset());
    assertThat(rest).isNotEmpty();
    String reply =
        new String(m.prefix(), StandardCharsets.US_ASCII)
            + new String(rest, StandardCharsets.US_ASCII);
    assertThat(reply).matches("\\*2\\r\\n\\$10\\r\\n\\d{10}\\r\\n\\$\\d\\r\\n\\d+\\r\\n");
    assertThat(view(m.group()).get("counters").get("releasedCommittedBytes").asLong())
        .isEqualTo(m.primaryEnd() - m.offset());
    return rest;
  }
}
