package dev.coloha.coordinator.group;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * A replica agent, a disk mirror or the packet proxy, played by a real HTTP server on loopback: it
 * answers what the real service answers on the happy path (docs/api.md), or what the test scripted
 * for the next matching calls (a problem document), and it can die ({@link #kill()}: connections
 * are refused from then on, as after {@code kill -9}). Every call is written to the shared journal,
 * so a test can check what the coordinator did in which order (an epoch persisted before it is
 * used).
 */
final class FakeService implements AutoCloseable {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  enum Kind {
    AGENT,
    MIRROR,
    PROXY
  }

  /** A scripted answer: an HTTP status and a problem type, for calls whose line contains match. */
  private record Scripted(String match, int status, String problem) {}

  /** A call held unanswered: {@code onArrival} runs when it arrives. */
  private record Held(String match, Runnable onArrival) {}

  /** The longest a held call waits for {@link #release()} (a bound for a test that fails). */
  private static final long HOLD_LIMIT_SECONDS = 10;

  private final String name;
  private final Kind kind;
  private final Consumer<String> journal;
  private final HttpServer server;
  private final String url;
  private final Deque<Scripted> once = new ConcurrentLinkedDeque<>();
  private final List<Scripted> always = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Deque<Held> holds = new ConcurrentLinkedDeque<>();
  private final CountDownLatch released = new CountDownLatch(1);
  private volatile boolean dead;
  private volatile boolean paused;

  /** Agent: the epoch and last checkpoint of its VM; proxy: the epoch it serves the group in. */
  volatile long epoch = -1;

  volatile long lastCheckpoint;

  /** Agent: the highest checkpoint number attempted (a failed attempt keeps it taken). */
  volatile long highestAttempted = -1;

  /** Agent: the bodies of the checkpoint calls it answered. */
  final List<Map<String, Object>> checkpointBodies =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  volatile String replicationState = "PROTECTED";

  /**
   * Agent: whether it has the group's VM ({@code GET /v1/vms/{id}} answers 404 otherwise, as a
   * restarted agent does for the VMs of its predecessor); a {@code POST /v1/vms} creates it.
   */
  volatile boolean hasVm = true;

  /** Agent: the bodies of the {@code POST /v1/vms} calls it answered. */
  final List<Map<String, Object>> createBodies = new java.util.concurrent.CopyOnWriteArrayList<>();

  FakeService(String name, Kind kind, Consumer<String> journal) throws IOException {
    this.name = name;
    this.kind = kind;
    this.journal = journal;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", this::handle);
    server.start();
    this.url = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  String url() {
    return url;
  }

  /** The calls answered so far, as "METHOD /path". */
  List<String> calls() {
    return new ArrayList<>(calls);
  }

  long count(String match) {
    return calls.stream().filter(c -> c.contains(match)).count();
  }

  /** The next call whose "METHOD /path" contains {@code match} gets this problem. */
  FakeService failOnce(String match, int status, String problem) {
    once.add(new Scripted(match, status, problem));
    return this;
  }

  /** Every call whose "METHOD /path" contains {@code match} gets this problem until healed. */
  FakeService failAlways(String match, int status, String problem) {
    always.add(new Scripted(match, status, problem));
    return this;
  }

  /**
   * The next call whose "METHOD /path" contains {@code match} runs {@code onArrival} when it
   * arrives, then gets no answer until {@link #release()} (or the service closes; at most {@value
   * #HOLD_LIMIT_SECONDS} s): a primary that waits for a dead secondary's acknowledgement. Then it
   * is answered as scripted.
   */
  FakeService holdOnce(String match, Runnable onArrival) {
    holds.add(new Held(match, onArrival));
    return this;
  }

  /** Answers the held calls. */
  void release() {
    released.countDown();
  }

  void heal() {
    always.clear();
    once.clear();
  }

  /** Dies like {@code kill -9}: its port refuses connections from now on. */
  void kill() {
    dead = true;
    closed.countDown();
    server.stop(0);
  }

  boolean dead() {
    return dead || paused;
  }

  /**
   * Stops like {@code kill -STOP} (a host starved of CPU or frozen): no heartbeat, and a request
   * gets no answer; {@link #resume()} ends it.
   */
  void pause() {
    paused = true;
  }

  void resume() {
    paused = false;
  }

  private void handle(HttpExchange x) throws IOException {
    String line = x.getRequestMethod() + " " + x.getRequestURI().getPath();
    byte[] raw = x.getRequestBody().readAllBytes();
    Map<String, Object> body = raw.length == 0 ? Map.of() : JSON.readValue(raw, MAP);
    if (dead || paused) {
      x.close();
      return;
    }
    if (!line.endsWith("/events")) {
      calls.add(line);
      journal.accept(name + " " + line);
    }
    for (Held h : holds) {
      if (line.contains(h.match()) && holds.remove(h)) {
        h.onArrival().run();
        try {
          released.await(HOLD_LIMIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        break;
      }
    }
    Scripted s = scripted(line);
    if (s != null) {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("type", "https://colo-ha.dev/problems/" + s.problem());
      p.put("status", s.status());
      p.put("detail", name + " says " + s.problem());
      reply(x, s.status(), p, "application/problem+json");
      return;
    }
    if (line.endsWith("/actuator/health")) {
      reply(x, 200, Map.of("status", "UP"), null);
      return;
    }
    switch (kind) {
      case AGENT -> agent(x, line, body);
      case MIRROR -> mirror(x, line);
      case PROXY -> proxy(x, line, body);
    }
  }

  private Scripted scripted(String line) {
    for (Scripted s : once) {
      if (line.contains(s.match()) && once.remove(s)) {
        return s;
      }
    }
    return always.stream().filter(s -> line.contains(s.match())).findFirst().orElse(null);
  }

  private Map<String, Object> replication(String vm) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("vm", vm);
    r.put("role", "PRIMARY");
    r.put("state", replicationState);
    r.put("epoch", epoch);
    r.put("lastCheckpoint", lastCheckpoint);
    r.put("syncSequence", lastCheckpoint);
    r.put("reason", "DEGRADED".equals(replicationState) ? "the secondary went away" : null);
    return r;
  }

  private void agent(HttpExchange x, String line, Map<String, Object> body) throws IOException {
    String vm = line.replaceAll(".*/v1/vms/?([^/]*).*", "$1");
    if (body.get("epoch") instanceof Number n) {
      epoch = n.longValue();
    }
    if (line.equals("POST /v1/vms")) {
      hasVm = true;
      createBodies.add(body);
      reply(x, 201, Map.of("id", String.valueOf(body.get("id"))), null);
    } else if (line.endsWith("/checkpoint")) {
      // without a number the agent takes its next one, above every one it attempted
      lastCheckpoint =
          body.get("sequence") instanceof Number n
              ? n.longValue()
              : Math.max(lastCheckpoint, highestAttempted) + 1;
      highestAttempted = Math.max(highestAttempted, lastCheckpoint);
      checkpointBodies.add(body);
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("sequence", lastCheckpoint);
      c.put("outputOffsets", List.of());
      c.put("inputOffsets", List.of());
      c.put("closedConnections", List.of());
      c.put("pages", 1);
      for (String f : List.of("pauseMicros", "transferMicros", "applyMicros", "totalMicros")) {
        c.put(f, 100.0);
      }
      reply(x, 200, c, null);
    } else if (line.endsWith("/replication")
        || line.endsWith("/primary")
        || line.endsWith("/secondary")
        || line.endsWith("/promote")) {
      reply(x, 200, replication(vm), null);
    } else if (line.startsWith("GET /v1/vms/") && !hasVm) {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("type", "https://colo-ha.dev/problems/vm-not-found");
      p.put("status", 404);
      reply(x, 404, p, "application/problem+json");
    } else if (line.startsWith("GET /v1/vms/")) {
      reply(x, 200, Map.of("highestConnection", 3, "openConnections", List.of(2, 3)), null);
    } else if (line.startsWith("DELETE")) {
      reply(x, 204, null, null);
    } else {
      reply(x, 200, Map.of(), null);
    }
  }

  private void mirror(HttpExchange x, String line) throws IOException {
    if (line.equals("POST /v1/volumes")) {
      reply(x, 201, Map.of(), null);
    } else if (line.startsWith("GET /v1/volumes/")) {
      reply(x, 200, Map.of("state", "REPLICATING"), null);
    } else if (line.startsWith("DELETE")) {
      reply(x, 204, null, null);
    } else {
      reply(x, 200, Map.of(), null);
    }
  }

  private void proxy(HttpExchange x, String line, Map<String, Object> body) throws IOException {
    if (line.endsWith("/events")) {
      // a quiet event stream: open until the proxy dies or the test ends
      x.getResponseHeaders().add("Content-Type", "application/x-ndjson");
      x.sendResponseHeaders(200, 0);
      try {
        closed.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      x.close();
      return;
    }
    if (line.startsWith("PUT /v1/groups/") || line.endsWith("/failover")) {
      epoch = ((Number) body.get("epoch")).longValue();
      reply(x, 200, Map.of(), null);
    } else if (line.startsWith("GET /v1/groups/")) {
      if (epoch < 0) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("type", "https://colo-ha.dev/problems/group-not-found");
        p.put("status", 404);
        reply(x, 404, p, "application/problem+json");
      } else {
        reply(x, 200, Map.of("epoch", epoch), null);
      }
    } else {
      reply(x, 200, Map.of(), null);
    }
  }

  private static void reply(HttpExchange x, int status, Object body, String type)
      throws IOException {
    if (body == null) {
      x.sendResponseHeaders(status, -1);
      x.close();
      return;
    }
    byte[] b = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", type == null ? "application/json" : type);
    x.sendResponseHeaders(status, b.length);
    try (OutputStream o = x.getResponseBody()) {
      o.write(b);
    }
  }

  @Override
  public void close() {
    release();
    if (!dead) {
      kill();
    }
  }
}
