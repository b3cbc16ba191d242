package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Command;
import dev.coloha.testkit.Ports;
import dev.coloha.testkit.Resp;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * What a new user does first (README): {@code ./colo lab up}, redis-cli against the kv endpoint,
 * {@code ./colo lab kill} of the kv primary's agent (the group fails over and the same client
 * session carries on), {@code ./colo lab start} of it (the host comes back and the group is
 * PROTECTED again), {@code ./colo lab down} (no process left). And a lab whose service cannot start
 * is no lab: {@code up} fails naming the service and leaves nothing running.
 */
class LabFirstRunIT {
  private static final Duration UP = Duration.ofMinutes(8);

  @Test
  void theReadmeLabServesKvFailsOverOnAKilledAgentAndComesBackProtected() throws Exception {
    Path dir = Lab.ROOT.resolve("system-tests/target/first-run-lab");
    int kvPort = Ports.free();
    int webPort = Ports.free();
    try {
      Command.Result up =
          colo(
              UP,
              "lab",
              "up",
              "--dir",
              dir.toString(),
              "--kv-port",
              Integer.toString(kvPort),
              "--http-port",
              Integer.toString(webPort),
              // a host is declared lost after 40 missed beats (10 s) instead of 4 (1 s): on a
              // loaded 2-core CI machine a live host has missed 3 s of beats, and a DEGRADED
              // group whose only replica is declared lost is FAILED. The kill is still noticed
              // at once (the proxy's broken stream, a failed checkpoint).
              "--set",
              "coordinator:colo.coordinator.policy.missed-beats=40");
      assertThat(up.exit()).as("./colo lab up\n%s\n%s", up.out(), up.err()).isZero();
      assertThat(up.out()).contains("COLO HA lab is up");

      JsonNode status = status(dir);
      JsonNode kv = group(status, "kv");
      JsonNode web = group(status, "web");
      assertThat(kv.get("state").asString()).isEqualTo("PROTECTED");
      assertThat(web.get("state").asString()).isEqualTo("PROTECTED");
      for (JsonNode s : status.get("services")) {
        assertThat(s.get("state").asString()).as("%s", s).isEqualTo("up");
      }
      String[] endpoint = kv.get("endpoint").asString().split(":");
      String kvHost = endpoint[0];
      int kvEndpointPort = Integer.parseInt(endpoint[1]);
      assertThat(kvEndpointPort).isEqualTo(kvPort);

      // real clients on the endpoints the status reports
      assertThat(redisCli(kvHost, kvEndpointPort, "SET", "first-run", "hello")).isEqualTo("OK");
      assertThat(redisCli(kvHost, kvEndpointPort, "GET", "first-run")).isEqualTo("hello");
      HttpResponse<String> counter =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://" + web.get("endpoint").asString() + "/counter"))
                      .timeout(Duration.ofSeconds(30))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(counter.statusCode()).isEqualTo(200);

      String primary = kv.get("primary").get("host").asString();
      String secondary = kv.get("secondary").get("host").asString();
      long epoch = kv.get("epoch").asLong();
      try (Resp session = new Resp(kvHost, kvEndpointPort, 120_000)) {
        assertThat(session.call("SET", "session", "before")).isEqualTo("OK");

        Command.Result kill =
            colo(Duration.ofMinutes(1), "lab", "kill", primary + "/agent", "--dir", dir.toString());
        assertThat(kill.exit()).as(kill.err()).isZero();
        assertThat(kill.out()).contains("killed " + primary + "/agent");
        assertThat(serviceState(status(dir), primary + "/agent")).isEqualTo("down");

        // the same session carries on, answered by the old secondary
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          assertThat(session.call("SET", "after-kill-" + i, "v" + i)).isEqualTo("OK");
          written.add("after-kill-" + i);
        }
        assertThat(session.call("GET", "session")).isEqualTo("before");
        JsonNode failedOver =
            awaitGroup(
                dir,
                g ->
                    g.get("epoch").asLong() > epoch
                        && g.get("primary") != null
                        && !g.get("primary").isNull()
                        && g.get("primary").get("host").asString().equals(secondary));
        System.out.println("kv after the kill of " + primary + "/agent: " + failedOver);
        assertThat(redisCli(kvHost, kvEndpointPort, "GET", "after-kill-49")).isEqualTo("v49");

        Command.Result start =
            colo(
                Duration.ofMinutes(5), "lab", "start", primary + "/agent", "--dir", dir.toString());
        assertThat(start.exit()).as("%s\n%s", start.out(), start.err()).isZero();
        assertThat(serviceState(status(dir), primary + "/agent")).isEqualTo("up");

        JsonNode back =
            awaitGroup(
                dir,
                g ->
                    g.get("state").asString().equals("PROTECTED")
                        && g.get("secondary") != null
                        && !g.get("secondary").isNull()
                        && g.get("secondary").get("host").asString().equals(primary));
        assertThat(back.get("primary").get("host").asString()).isEqualTo(secondary);
        for (String key : written) {
          assertThat(session.call("GET", key))
              .isEqualTo("v" + key.substring("after-kill-".length()));
        }
        assertThat(session.call("INCR", "session-counter")).isEqualTo(1L);
      }
    } finally {
      Command.Result down = colo(Duration.ofMinutes(2), "lab", "down", "--dir", dir.toString());
      assertThat(down.exit()).as(down.err()).isZero();
    }
    assertThat(processesOf(dir)).as("processes of the lab after down").isEmpty();
  }

  @Test
  void aServiceThatCannotStartFailsTheLabNamingItAndLeavesNoProcess() throws Exception {
    Path dir = Lab.ROOT.resolve("system-tests/target/broken-lab");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Command.Result up =
          colo(
              UP,
              "lab",
              "up",
              "--hosts",
              "1",
              "--no-groups",
              "--dir",
              dir.toString(),
              "--set",
              "host-1/agent:colo.agent.replication.stream-port=" + taken.getLocalPort());
      System.out.println("./colo lab up with a taken port said:\n" + up.err());
      assertThat(up.exit()).isNotZero();
      assertThat(up.out()).doesNotContain("lab is up");
      assertThat(up.err())
          .contains("host-1/agent")
          .contains("the lab did not come up")
          .contains("Address already in use");
    } finally {
      if (!processesOf(dir).isEmpty()) {
        colo(Duration.ofMinutes(2), "lab", "down", "--dir", dir.toString());
      }
    }
    assertThat(processesOf(dir)).as("processes of the failed lab").isEmpty();
  }

  /** {@code ./colo ARGS} with the jars the reactor has just built. */
  private static Command.Result colo(Duration timeout, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Lab.ROOT.resolve("colo").toString());
    cmd.addAll(List.of(args));
    return Command.run(timeout, Map.of("COLO_SKIP_BUILD", "1"), cmd);
  }

  private static JsonNode status(Path dir) throws Exception {
    Command.Result p =
        colo(Duration.ofSeconds(60), "lab", "status", "--json", "--dir", dir.toString());
    return Lab.JSON.readTree(p.requireOk().out());
  }

  private static JsonNode group(JsonNode status, String id) {
    for (JsonNode g : status.get("groups")) {
      if (g.get("id").asString().equals(id)) {
        return g;
      }
    }
    throw new AssertionError("no group " + id + " in " + status);
  }

  private static String serviceState(JsonNode status, String name) {
    for (JsonNode s : status.get("services")) {
      if (s.get("name").asString().equals(name)) {
        return s.get("state").asString();
      }
    }
    throw new AssertionError("no service " + name + " in " + status);
  }

  /** Waits for the kv group to satisfy {@code until}; a timeout says what the group last was. */
  private static JsonNode awaitGroup(Path dir, Predicate<JsonNode> until) {
    JsonNode[] last = new JsonNode[1];
    try {
      await()
          .atMost(Duration.ofMinutes(4))
          .pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(
              () -> {
                last[0] = group(status(dir), "kv");
                return until.test(last[0]);
              });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "the kv group did not get there within 4 minutes; last seen: " + last[0], e);
    }
    return last[0];
  }

  private static String redisCli(String host, int port, String... command) throws Exception {
    List<String> cmd =
        new ArrayList<>(List.of("redis-cli", "-h", host, "-p", Integer.toString(port)));
    cmd.addAll(List.of(command));
    return Command.run(Duration.ofSeconds(60), Map.of(), cmd).requireOk().out().trim();
  }

  /** The processes whose command line names the lab's directory (every service's data dir). */
  private static List<String> processesOf(Path dir) {
    String marker = dir.toString() + "/";
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().orElse("").contains(marker))
        .filter(p -> p.info().commandLine().orElse("").contains("-Dcolo.lab.service="))
        .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
        .toList();
  }
}
