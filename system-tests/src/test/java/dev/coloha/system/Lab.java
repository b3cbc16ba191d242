package dev.coloha.system;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The local lab ({@code ./colo lab}) as the system tests use it: started once per test JVM with
 * three hosts, real processes on loopback, in its own directory under {@code target/}. Tests kill
 * services with {@code kill -9} and bring them back with the same command line and port.
 */
final class Lab {
  static final Path ROOT =
      Path.of(System.getenv().getOrDefault("COLO_ROOT", "..")).toAbsolutePath().normalize();
  static final JsonMapper JSON = JsonMapper.builder().build();
  private static Lab shared;

  final Path dir;
  final int kvPort;
  final int httpPort;
  private final String token;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Lab(Path dir, int kvPort, int httpPort) throws IOException {
    this.dir = dir;
    this.kvPort = kvPort;
    this.httpPort = httpPort;
    this.token = Files.readString(dir.resolve("token")).trim();
  }

  /** The lab of this test JVM, started on first use and stopped when the JVM exits. */
  static synchronized Lab shared() throws Exception {
    if (shared == null) {
      Path dir = ROOT.resolve("system-tests/target/lab");
      int kv = freePort();
      int web = freePort();
      script(
          Duration.ofMinutes(10), // a loaded 2-core host takes minutes to start 8 JVMs
          "up",
          "--hosts",
          "3",
          "--dir",
          dir.toString(),
          "--kv-port",
          Integer.toString(kv),
          "--http-port",
          Integer.toString(web));
      shared = new Lab(dir, kv, web);
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      script(Duration.ofMinutes(1), "down", "--dir", dir.toString());
                    } catch (Exception e) {
                      System.err.println("lab down failed: " + e);
                    }
                  }));
    }
    return shared;
  }

  static String script(Duration timeout, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ROOT.resolve("scripts/lab.sh").toString());
    cmd.addAll(List.of(args));
    return Proc.run(timeout, Map.of(), cmd).requireOk().out();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  // ---- status -------------------------------------------------------------------------------

  JsonNode status() throws Exception {
    return JSON.readTree(
        script(Duration.ofSeconds(30), "status", "--json", "--dir", dir.toString()));
  }

  JsonNode group(String id) throws Exception {
    for (JsonNode g : status().get("groups")) {
      if (g.get("id").asString().equals(id)) {
        return g;
      }
    }
    throw new AssertionError("no group " + id);
  }

  JsonNode labJson() throws IOException {
    return JSON.readTree(Files.readString(dir.resolve("lab.json")));
  }

  String coordinatorUrl() throws IOException {
    return labJson().get("coordinator").get("url").asString();
  }

  /** The coordinator's view of a group ({@code GET /v1/groups/{id}}). */
  JsonNode coordinatorGroup(String id) throws Exception {
    return JSON.readTree(get(coordinatorUrl() + "/v1/groups/" + id));
  }

  String get(String url) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token)
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("GET " + url + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  String post(String url, String json) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IOException("POST " + url + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  /** Waits until the group is PROTECTED with both replicas' processes alive; returns it. */
  JsonNode awaitProtected(String id, Duration within) throws Exception {
    JsonNode[] last = new JsonNode[1];
    await()
        .atMost(within)
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(
            () -> {
              last[0] = group(id);
              return "PROTECTED".equals(last[0].get("state").asString());
            });
    return last[0];
  }

  // ---- faults -------------------------------------------------------------------------------

  /** A service of the lab, as lab.json knows it. */
  record Service(String name, long pid, String url) {}

  Service agentOf(String host) throws IOException {
    return service(host, "agent");
  }

  Service mirrorOf(String host) throws IOException {
    return service(host, "mirror");
  }

  private Service service(String host, String role) throws IOException {
    for (JsonNode h : labJson().get("hosts")) {
      if (h.get("name").asString().equals(host)) {
        JsonNode s = h.get(role);
        return new Service(host + "/" + role, s.get("pid").asLong(), s.get("url").asString());
      }
    }
    throw new AssertionError("no host " + host);
  }

  Service proxy() throws IOException {
    JsonNode c = labJson().get("proxy");
    return new Service("proxy", c.get("pid").asLong(), c.get("url").asString());
  }

  Service coordinator() throws IOException {
    JsonNode c = labJson().get("coordinator");
    return new Service("coordinator", c.get("pid").asLong(), c.get("url").asString());
  }

  /**
   * {@code kill -9} of a service; returns what it takes to start it again (its command line with
   * its port fixed, and its working directory).
   */
  Restart kill9(Service s) throws Exception {
    Path proc = Path.of("/proc", Long.toString(s.pid()));
    byte[] raw = Files.readAllBytes(proc.resolve("cmdline"));
    Path cwd = Files.readSymbolicLink(proc.resolve("cwd"));
    List<String> cmd = new ArrayList<>();
    for (String a : new String(raw, StandardCharsets.UTF_8).split("\0")) {
      if (!a.isEmpty()) {
        cmd.add(a.equals("--server.port=0") ? "--server.port=" + URI.create(s.url()).getPort() : a);
      }
    }
    ProcessHandle h = ProcessHandle.of(s.pid()).orElseThrow();
    Proc.run(Duration.ofSeconds(5), Map.of(), List.of("kill", "-9", Long.toString(s.pid())))
        .requireOk();
    h.onExit().get(10, TimeUnit.SECONDS);
    return new Restart(s, cmd, cwd);
  }

  record Restart(Service service, List<String> command, Path cwd) {}

  /** Starts a killed service again on its old port and records its new pid in lab.json. */
  void restart(Restart r) throws Exception {
    Path log = dir.resolve(r.service().name().replace('/', '-') + ".restart.log");
    Process p =
        new ProcessBuilder(r.command())
            .directory(r.cwd().toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    updatePid(r.service(), p.pid());
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              if (!p.isAlive()) {
                throw new AssertionError(r.service().name() + " exited again; see " + log);
              }
              get(r.service().url() + "/actuator/health");
              return true;
            });
  }

  private synchronized void updatePid(Service s, long pid) throws IOException {
    ObjectNode lab = (ObjectNode) labJson();
    if (s.name().equals("coordinator") || s.name().equals("proxy")) {
      ((ObjectNode) lab.get(s.name())).put("pid", pid);
    } else {
      String[] parts = s.name().split("/");
      for (JsonNode h : lab.get("hosts")) {
        if (h.get("name").asString().equals(parts[0])) {
          ((ObjectNode) h.get(parts[1])).put("pid", pid);
        }
      }
    }
    Path tmp = dir.resolve("lab.json.tmp");
    Files.writeString(tmp, JSON.writeValueAsString(lab));
    Files.move(
        tmp,
        dir.resolve("lab.json"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
