package dev.coloha.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A lab of "hosts" in Linux network namespaces, so that the network between them can be cut.
 *
 * <pre>
 *   root namespace: coordinator, proxy, the test          colo-r 10.231.0.1/24
 *                                                             |  (veth)
 *   colo-sw: a bridge br0 ------------------------------ sw-r, sw-h1, sw-h2
 *                                                             |  (veth)
 *   colo-h1: replica agent on 10.231.0.11:7701              eth0 10.231.0.11/24
 *   colo-h2: replica agent on 10.231.0.12:7701              eth0 10.231.0.12/24
 * </pre>
 *
 * <p>The bridge lives in a namespace of its own: bridged traffic then never meets the root
 * namespace's FORWARD chain (which Docker sets to DROP when {@code br_netfilter} is on), and the
 * test changes no firewall rule outside the namespaces it created. The host namespaces have no
 * default route: nothing they send can leave 10.231.0.0/24. Faults are iptables rules inside a
 * host's namespace ({@link #partition}, {@link #isolate}); {@link #heal} removes them.
 *
 * <p>Needs root and {@code ip netns}. Every process it starts is its own child; {@link #close} ends
 * them, deletes the namespaces and the root-side veth (which removes the address), even after a
 * failure, and {@link #start} first removes what a crashed run left behind.
 *
 * <p>Over 400 lines on purpose: one lab, from the namespaces and the processes in them to the
 * faults (partitions, kills) and the services' API, for PartitionIT; its parts share the lab's
 * hosts and ports.
 */
public final class NetnsLab implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  static final String SUBNET_PREFIX = "10.231.0.";
  static final String ROOT_IP = SUBNET_PREFIX + "1";
  static final String SWITCH_NS = "colo-sw";
  static final String ROOT_VETH = "colo-r";
  static final int AGENT_PORT = 7701;

  public final Path dir;
  public final int hosts;
  public final String token;
  public final int coordinatorPort;
  public final int proxyPort;
  public final int kvPort;
  private final Map<String, Process> procs = new LinkedHashMap<>();
  private final Http http;

  private NetnsLab(Path dir, int hosts) throws IOException {
    this.dir = dir;
    this.hosts = hosts;
    this.token = HexFormat.of().formatHex(randomBytes(24));
    this.http = Http.urls(token);
    this.coordinatorPort = Ports.free();
    this.proxyPort = Ports.free();
    this.kvPort = Ports.free();
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    ThreadLocalRandom.current().nextBytes(b);
    return b;
  }

  static String ns(int host) {
    return "colo-h" + host;
  }

  static String ip(int host) {
    return SUBNET_PREFIX + (10 + host);
  }

  static String hostName(int host) {
    return "host-" + host;
  }

  public static String agentUrl(int host) {
    return "http://" + ip(host) + ":" + AGENT_PORT;
  }

  public String coordinatorUrl() {
    return "http://" + ROOT_IP + ":" + coordinatorPort;
  }

  public String proxyUrl() {
    return "http://" + ROOT_IP + ":" + proxyPort;
  }

  /** Why this machine cannot run the lab, or null if it can. */
  public static String unavailableReason() {
    try {
      Command.Result id = Command.run(Duration.ofSeconds(5), Map.of(), List.of("id", "-u"));
      if (!id.out().trim().equals("0")) {
        return "not root (uid " + id.out().trim() + ")";
      }
      Command.Result ip =
          Command.run(Duration.ofSeconds(5), Map.of(), List.of("ip", "netns", "list"));
      if (ip.exit() != 0) {
        return "ip netns does not work: " + ip.err();
      }
      Command.Result ipt =
          Command.run(Duration.ofSeconds(5), Map.of(), List.of("iptables", "--version"));
      if (ipt.exit() != 0) {
        return "iptables does not work: " + ipt.err();
      }
      return null;
    } catch (IOException | InterruptedException e) {
      return "ip/iptables missing: " + e.getMessage();
    }
  }

  /** Builds the network and starts coordinator, agents (one per host namespace) and proxy. */
  public static NetnsLab start(Path dir, int hosts) throws Exception {
    removeLeftovers(dir, hosts);
    deleteTree(dir); // a fresh run: the coordinator must not resume the last run's groups
    NetnsLab lab = new NetnsLab(dir, hosts);
    Thread hook = new Thread(lab::close, "netns-lab-down");
    Runtime.getRuntime().addShutdownHook(hook); // a test JVM ended by a signal cleans up too
    try {
      lab.network();
      lab.services();
      return lab;
    } catch (Exception | AssertionError e) {
      lab.close();
      throw e;
    }
  }

  // ---- network --------------------------------------------------------------------------------

  static void sh(String... cmd) throws Exception {
    Command.run(Duration.ofSeconds(20), Map.of(), List.of(cmd)).requireOk();
  }

  static Command.Result shQuiet(String... cmd) throws Exception {
    return Command.run(Duration.ofSeconds(20), Map.of(), List.of(cmd));
  }

  private void network() throws Exception {
    sh("ip", "netns", "add", SWITCH_NS);
    sh("ip", "-n", SWITCH_NS, "link", "set", "lo", "up");
    sh("ip", "-n", SWITCH_NS, "link", "add", "br0", "type", "bridge");
    sh("ip", "-n", SWITCH_NS, "link", "set", "br0", "up");
    sh("ip", "link", "add", ROOT_VETH, "type", "veth", "peer", "name", "sw-r", "netns", SWITCH_NS);
    sh("ip", "addr", "add", ROOT_IP + "/24", "dev", ROOT_VETH);
    sh("ip", "link", "set", ROOT_VETH, "up");
    sh("ip", "-n", SWITCH_NS, "link", "set", "sw-r", "master", "br0");
    sh("ip", "-n", SWITCH_NS, "link", "set", "sw-r", "up");
    for (int i = 1; i <= hosts; i++) {
      String ns = ns(i);
      sh("ip", "netns", "add", ns);
      sh("ip", "-n", ns, "link", "set", "lo", "up");
      sh(
          "ip",
          "-n",
          ns,
          "link",
          "add",
          "eth0",
          "type",
          "veth",
          "peer",
          "name",
          "sw-h" + i,
          "netns",
          SWITCH_NS);
      sh("ip", "-n", ns, "addr", "add", ip(i) + "/24", "dev", "eth0");
      sh("ip", "-n", ns, "link", "set", "eth0", "up");
      sh("ip", "-n", SWITCH_NS, "link", "set", "sw-h" + i, "master", "br0");
      sh("ip", "-n", SWITCH_NS, "link", "set", "sw-h" + i, "up");
    }
  }

  /**
   * Cuts the network between two hosts, both ways: each drops what arrives from the other (a SYN or
   * a segment is lost in silence, as on a broken link). Both still reach coordinator and proxy.
   */
  public void partition(int a, int b) throws Exception {
    sh("ip", "netns", "exec", ns(a), "iptables", "-A", "INPUT", "-s", ip(b), "-j", "DROP");
    sh("ip", "netns", "exec", ns(b), "iptables", "-A", "INPUT", "-s", ip(a), "-j", "DROP");
  }

  /** Cuts a host off from everything but itself: nothing in, nothing out. */
  public void isolate(int host) throws Exception {
    sh("ip", "netns", "exec", ns(host), "iptables", "-A", "INPUT", "!", "-i", "lo", "-j", "DROP");
    sh("ip", "netns", "exec", ns(host), "iptables", "-A", "OUTPUT", "!", "-o", "lo", "-j", "DROP");
  }

  /** Removes every fault rule. */
  public void heal() throws Exception {
    for (int i = 1; i <= hosts; i++) {
      sh("ip", "netns", "exec", ns(i), "iptables", "-F", "INPUT");
      sh("ip", "netns", "exec", ns(i), "iptables", "-F", "OUTPUT");
    }
  }

  // ---- services -------------------------------------------------------------------------------

  private static String jar(String module) {
    return ServiceProcess.execJar(module).toString();
  }

  private static String java() {
    String home = System.getenv("JAVA_HOME");
    return Path.of(home != null ? home : System.getProperty("java.home"), "bin", "java").toString();
  }

  private List<String> javaCmd(String module, int port, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            java(),
            "-Xss16m",
            "-Xmx512m",
            "-XX:+UseParallelGC",
            "-XX:TieredStopAtLevel=4",
            "-jar",
            jar(module),
            "--server.port=" + port,
            "--colo.security.token=" + token,
            // marks the process as this lab's (see removeLeftovers); Spring ignores it
            "--colo.test.lab=" + dir));
    if (!module.equals("coordinator-service")) {
      cmd.add("--colo.heartbeat.coordinator-url=" + coordinatorUrl());
    }
    cmd.addAll(args);
    return cmd;
  }

  private void launch(String name, List<String> cmd) throws IOException {
    Path log = dir.resolve(name + ".log");
    Files.createDirectories(dir);
    Process p =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    p.getOutputStream().close();
    synchronized (procs) {
      procs.put(name, p);
    }
    Files.writeString(
        dir.resolve("pids"),
        p.pid() + " " + name + "\n",
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
  }

  private void services() throws Exception {
    Files.createDirectories(dir);
    launch(
        "coordinator",
        javaCmd(
            "coordinator-service",
            coordinatorPort,
            List.of(
                "--server.address=" + ROOT_IP,
                // calls to a JVM on a loaded machine can take seconds: a timeout here is no
                // fault of the network (failure detection has its own probe timeout)
                "--colo.coordinator.call-timeout=30s",
                "--colo.coordinator.data-dir=" + dir.resolve("coordinator"))));
    for (int i = 1; i <= hosts; i++) {
      List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(i)));
      cmd.addAll(
          javaCmd(
              "replica-agent",
              AGENT_PORT,
              List.of(
                  "--server.address=" + ip(i),
                  "--colo.heartbeat.host=" + hostName(i),
                  "--colo.heartbeat.role=agent",
                  "--colo.heartbeat.advertise-url=" + agentUrl(i),
                  "--colo.agent.name=" + hostName(i),
                  "--colo.agent.data-dir=" + dir.resolve(hostName(i)).resolve("agent"))));
      launch(hostName(i) + "-agent", cmd);
    }
    launch(
        "proxy",
        javaCmd(
            "packet-proxy",
            proxyPort,
            List.of(
                "--server.address=" + ROOT_IP,
                "--colo.heartbeat.host=proxy-1",
                "--colo.heartbeat.role=proxy",
                "--colo.heartbeat.advertise-url=" + proxyUrl())));
    // every agent and the proxy registered with the coordinator (a JVM takes 10 s to start on an
    // idle 2-core machine, minutes on a loaded one)
    await()
        .atMost(Duration.ofMinutes(6))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(
            () -> {
              requireAlive();
              int agents = 0;
              for (JsonNode h : JSON.readTree(get(coordinatorUrl() + "/v1/hosts"))) {
                if (h.hasNonNull("agentUrl")) {
                  agents++;
                }
              }
              return agents == hosts
                  && JSON.readTree(get(coordinatorUrl() + "/v1/proxies")).size() >= 1;
            });
  }

  /** Fails if a service this lab started has exited. */
  public void requireAlive() {
    synchronized (procs) {
      for (var e : procs.entrySet()) {
        if (!e.getValue().isAlive()) {
          throw new AssertionError(
              e.getKey() + " exited (" + e.getValue().exitValue() + "); see " + dir);
        }
      }
    }
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  /** Status and body of a reply. */
  public record Response(int status, String body) {
    public JsonNode json() {
      return JSON.readTree(body);
    }
  }

  public Response call(String method, String url, String json) throws Exception {
    Http.Reply r = http.json(method, url, json);
    return new Response(r.status(), r.body());
  }

  public String get(String url) throws Exception {
    Response r = call("GET", url, null);
    if (r.status() != 200) {
      throw new IOException("GET " + url + ": " + r.status() + " " + r.body());
    }
    return r.body();
  }

  public JsonNode coordinatorGroup(String id) throws Exception {
    return JSON.readTree(get(coordinatorUrl() + "/v1/groups/" + id));
  }

  public JsonNode proxyGroup(String id) throws Exception {
    return JSON.readTree(get(proxyUrl() + "/v1/groups/" + id));
  }

  /** Host number of a replica as the coordinator shows it ({@code host-N}). */
  public static int hostOf(JsonNode replica) {
    return Integer.parseInt(replica.get("host").asString().substring("host-".length()));
  }

  // ---- clean-up -------------------------------------------------------------------------------

  private volatile boolean closed;

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    List<Process> all;
    synchronized (procs) {
      all = new ArrayList<>(procs.values());
      procs.clear();
    }
    for (Process p : all) {
      p.destroy();
    }
    for (Process p : all) {
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      removeNetwork(hosts);
      Files.deleteIfExists(dir.resolve("pids"));
    } catch (Exception e) {
      System.err.println("netns lab clean-up: " + e);
    }
  }

  /**
   * What a crashed run may have left: its processes (by the pids it recorded, checked to be Java
   * processes of this lab's directory, and anything still inside its namespaces), namespaces and
   * the root-side veth.
   */
  static void removeLeftovers(Path dir, int hosts) throws Exception {
    Path pids = dir.resolve("pids");
    if (Files.exists(pids)) {
      for (String line : Files.readAllLines(pids)) {
        if (line.isBlank()) {
          continue;
        }
        long pid = Long.parseLong(line.split(" ")[0]);
        ProcessHandle.of(pid)
            .filter(h -> h.info().commandLine().orElse("").contains(dir.toString()))
            .ifPresent(ProcessHandle::destroyForcibly);
      }
      Files.delete(pids);
    }
    for (int i = 1; i <= Math.max(hosts, 3); i++) {
      killInside(ns(i));
    }
    removeNetwork(Math.max(hosts, 3));
  }

  private static void killInside(String ns) throws Exception {
    Command.Result r = shQuiet("ip", "netns", "pids", ns);
    if (r.exit() != 0) {
      return; // no such namespace
    }
    java.util.List<java.util.concurrent.CompletableFuture<ProcessHandle>> exits =
        new java.util.ArrayList<>();
    for (String s : r.out().trim().split("\\s+")) {
      if (!s.isBlank()) {
        ProcessHandle.of(Long.parseLong(s))
            .ifPresent(
                h -> {
                  h.destroyForcibly();
                  exits.add(h.onExit());
                });
      }
    }
    // wait until they are really gone (the namespace is removed next), not a fixed time
    try {
      java.util.concurrent.CompletableFuture.allOf(
              exits.toArray(java.util.concurrent.CompletableFuture[]::new))
          .get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      System.err.println("[NetnsLab] processes in the namespace still alive after 10 s");
    }
  }

  private static void removeNetwork(int hosts) throws Exception {
    for (int i = 1; i <= hosts; i++) {
      shQuiet("ip", "netns", "del", ns(i));
    }
    shQuiet("ip", "netns", "del", SWITCH_NS);
    shQuiet("ip", "link", "del", ROOT_VETH);
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var s = Files.walk(p)) {
      for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
