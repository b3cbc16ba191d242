package dev.coloha.system;

import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Command;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The local lab ({@code ./colo lab}) as the system tests use it: started once per test JVM with
 * three hosts, real processes on loopback, in its own directory under {@code target/}. Tests crash
 * services and bring them back with the lab's own fault operations ({@code ./colo lab kill} and
 * {@code ./colo lab start}: same command line, port and data directory).
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
  private final Http http;

  private Lab(Path dir, int kvPort, int httpPort) throws IOException {
    this.dir = dir;
    this.kvPort = kvPort;
    this.httpPort = httpPort;
    this.token = Files.readString(dir.resolve("token")).trim();
    this.http = Http.urls(token);
  }

  /** The lab of this test JVM, started on first use and stopped when the JVM exits. */
  static synchronized Lab shared() throws Exception {
    if (shared == null) {
      Path dir = ROOT.resolve("system-tests/target/lab");
      int kv = Ports.free();
      int web = Ports.free();
      script(
          // lab.sh itself gives a service 10 minutes to answer and the groups 10 more
          Duration.ofMinutes(15),
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

  /**
   * A lab of its own in {@code system-tests/target/<name>} with {@code hosts} hosts and no groups,
   * for a test that creates its groups itself; {@link #down()} stops it.
   */
  static Lab withoutGroups(String name, int hosts, String... sets) throws Exception {
    Path dir = ROOT.resolve("system-tests/target/" + name);
    List<String> args =
        new ArrayList<>(
            List.of(
                "up", "--hosts", Integer.toString(hosts), "--no-groups", "--dir", dir.toString()));
    for (String set : sets) {
      args.add("--set");
      args.add(set); // SERVICE:PROPERTY=VALUE
    }
    script(Duration.ofMinutes(6), args.toArray(String[]::new));
    return new Lab(dir, 0, 0);
  }

  void down() throws Exception {
    script(Duration.ofMinutes(1), "down", "--dir", dir.toString());
  }

  /** The lab's shared API token. */
  String token() {
    return token;
  }

  static String script(Duration timeout, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ROOT.resolve("scripts/lab.sh").toString());
    cmd.addAll(List.of(args));
    return Command.run(timeout, Map.of(), cmd).requireOk().out();
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

  /** The URL of the proxy that serves: the ACTIVE one of the lab's warm standby pair. */
  String proxyUrl() throws Exception {
    String active = activeProxy();
    return labJson().get(active.equals("proxy") ? "proxy" : "proxyStandby").get("url").asString();
  }

  /**
   * The lab service name of the ACTIVE proxy ({@code proxy} or {@code proxy-standby}: either may
   * be, after a takeover), as {@code ./colo lab status} shows it; {@code proxy} when none answers.
   */
  String activeProxy() throws Exception {
    for (JsonNode s : status().get("services")) {
      if ("ACTIVE".equals(s.path("proxyRole").asString(""))) {
        return s.get("name").asString();
      }
    }
    return "proxy";
  }

  /** The other proxy of the pair: the standby of {@code proxy}, or the reverse. */
  static String otherProxy(String proxy) {
    return proxy.equals("proxy") ? "proxy-standby" : "proxy";
  }

  /** The coordinator's view of a group ({@code GET /v1/groups/{id}}). */
  JsonNode coordinatorGroup(String id) throws Exception {
    return JSON.readTree(get(coordinatorUrl() + "/v1/groups/" + id));
  }

  String get(String url) throws Exception {
    return http.get(url).body2xx("GET " + url);
  }

  String post(String url, String json) throws Exception {
    return http.post(url, json).body2xx("POST " + url);
  }

  /** DELETEs {@code url}; returns the status. */
  int delete(String url) throws Exception {
    return http.delete(url).status();
  }

  /** The URL of a host's agent or mirror ({@code role}), from lab.json. */
  String hostUrl(String host, String role) throws IOException {
    return hostService(host, role).get("url").asString();
  }

  /** The pid of a host's agent or mirror ({@code role}), from lab.json. */
  long hostPid(String host, String role) throws IOException {
    return hostService(host, role).get("pid").asLong();
  }

  private JsonNode hostService(String host, String role) throws IOException {
    for (JsonNode h : labJson().get("hosts")) {
      if (h.get("name").asString().equals(host)) {
        return h.get(role);
      }
    }
    throw new AssertionError("no host " + host);
  }

  /** PUTs a Wasm module ({@code application/wasm}); returns the answer's body. */
  String putWasm(String url, byte[] module) throws Exception {
    return http.put(url, "application/wasm", module).body2xx("PUT " + url);
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

  // ---- guests ------------------------------------------------------------------------------

  /**
   * Uploads the plain WASI module at {@code module} (relative to the repository) to the
   * coordinator's guest library as {@code guest}, which instruments it; the library's answer.
   */
  JsonNode uploadGuest(String guest, String module) throws Exception {
    return JSON.readTree(
        putWasm(
            coordinatorUrl() + "/v1/guests/" + guest, Files.readAllBytes(ROOT.resolve(module))));
  }

  /** Creates group {@code id} of {@code guest} on a free port, without a disk; its port. */
  int protect(String id, String guest) throws Exception {
    int port = Ports.free();
    post(
        coordinatorUrl() + "/v1/groups",
        "{\"id\":\""
            + id
            + "\",\"guest\":\""
            + guest
            + "\",\"port\":"
            + port
            + ",\"diskBytes\":0}");
    return port;
  }

  // ---- faults -------------------------------------------------------------------------------

  /**
   * {@code ./colo lab kill SERVICE}: SIGKILL, like a crash (coordinator, proxy, host-N,
   * host-N/agent, host-N/mirror); returns when the process is gone.
   */
  void kill(String service) throws Exception {
    script(Duration.ofSeconds(60), "kill", service, "--dir", dir.toString());
  }

  /**
   * {@code ./colo lab start SERVICE}: starts a killed service again with its command line, port and
   * data directory; returns when it answers its health endpoint.
   */
  void start(String service) throws Exception {
    script(Duration.ofMinutes(4), "start", service, "--dir", dir.toString());
  }

  /** Whether {@code ./colo lab status --json} shows the service up. */
  boolean isUp(String service) throws Exception {
    for (JsonNode s : status().get("services")) {
      if (s.get("name").asString().equals(service)) {
        return "up".equals(s.get("state").asString());
      }
    }
    throw new AssertionError("no service " + service);
  }

  // ---- a load across a kill -------------------------------------------------------------------

  /** Opens a client's connection (or whatever it keeps between requests). */
  @FunctionalInterface
  interface Connect<C extends AutoCloseable> {
    C open() throws Exception;
  }

  /** Request {@code i} of client {@code client}; it throws when the answer is wrong. */
  @FunctionalInterface
  interface Request<C> {
    void send(C connection, int client, int i) throws Exception;
  }

  /**
   * What a load across a kill saw.
   *
   * @param errors what went wrong, a line per client that stopped on it
   * @param atKill requests answered when the service was killed
   * @param answered requests answered in all
   */
  record Load(List<String> errors, int atKill, int answered) {}

  /**
   * {@code clients} clients make requests one after the other, each on its own connection; once
   * each has had {@code warmUp} answered, {@code service} is killed ({@link #kill}); the load goes
   * on until {@code afterKill} more requests per client are answered (or a client fails, or 2
   * minutes pass). A client stops at its first failure.
   */
  <C extends AutoCloseable> Load killUnderLoad(
      String service,
      int clients,
      int warmUp,
      int afterKill,
      Connect<C> connect,
      Request<C> request)
      throws Exception {
    ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger answered = new AtomicInteger();
    CountDownLatch warm = new CountDownLatch(clients);
    List<Thread> threads = new ArrayList<>();
    for (int n = 0; n < clients; n++) {
      int client = n;
      threads.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    try (C c = connect.open()) {
                      for (int i = 0; !stop.get(); i++) {
                        request.send(c, client, i);
                        answered.incrementAndGet();
                        if (i == warmUp) {
                          warm.countDown();
                        }
                      }
                    } catch (Exception e) {
                      errors.add("client " + client + ": " + e);
                    } finally {
                      warm.countDown();
                    }
                  }));
    }
    int atKill = -1;
    try {
      warm.await();
      kill(service);
      atKill = answered.get();
      int enough = atKill + clients * afterKill;
      await()
          .atMost(Duration.ofMinutes(2))
          .until(() -> answered.get() > enough || !errors.isEmpty());
    } finally {
      stop.set(true);
      for (Thread t : threads) {
        t.join(Duration.ofMinutes(1));
      }
    }
    return new Load(List.copyOf(errors), atKill, answered.get());
  }
}
