package dev.coloha.coordinator.bootstrap;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One-shot job of the compose lab and the Helm chart: waits until the coordinator knows {@code
 * COLO_BOOTSTRAP_HOSTS} live hosts (an agent and a mirror each) and a proxy, creates the groups of
 * {@code COLO_BOOTSTRAP_GROUPS} (a group that exists is kept), and waits until each is PROTECTED.
 * Exits 0 when they all are, 1 on a timeout or a group it cannot create, 2 on bad settings. Reads
 * the coordinator's answers as JSON (Jackson), whatever their layout.
 *
 * <p>Runs from the coordinator's jar without starting the coordinator: {@code java
 * -Dloader.main=dev.coloha.coordinator.bootstrap.BootstrapGroups -cp /opt/colo/app
 * org.springframework.boot.loader.launch.PropertiesLauncher} in the image (the jar extracted into
 * its layers; {@code -cp app.jar} runs it from the jar itself). Environment:
 *
 * <ul>
 *   <li>{@code COLO_COORDINATOR_URL}, e.g. {@code http://coordinator:7700} (required)
 *   <li>{@code COLO_SECURITY_TOKEN}: the shared token
 *   <li>{@code COLO_BOOTSTRAP_GROUPS}: space-separated {@code id=guest:port[:diskBytes]}, e.g.
 *       {@code "kv=kv:6379 web=http:8080"}
 *   <li>{@code COLO_BOOTSTRAP_HOSTS}: hosts to wait for (default 2)
 *   <li>{@code COLO_BOOTSTRAP_TIMEOUT}: seconds to wait in all (default 300)
 * </ul>
 */
public final class BootstrapGroups {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** A group to create: {@code id=guest:port[:diskBytes]}. */
  record GroupToCreate(String id, String guest, int port, long diskBytes) {
    static GroupToCreate parse(String spec) {
      int eq = spec.indexOf('=');
      String[] rest = eq < 1 ? new String[0] : spec.substring(eq + 1).split(":", -1);
      if (rest.length < 2 || rest.length > 3 || rest[0].isEmpty()) {
        throw new IllegalArgumentException(
            "COLO_BOOTSTRAP_GROUPS: '" + spec + "' is not id=guest:port[:diskBytes]");
      }
      try {
        return new GroupToCreate(
            spec.substring(0, eq),
            rest[0],
            Integer.parseInt(rest[1]),
            rest.length == 3 ? Long.parseLong(rest[2]) : 0);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "COLO_BOOTSTRAP_GROUPS: '" + spec + "': port and diskBytes are numbers", e);
      }
    }

    Map<String, Object> request() {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("id", id);
      body.put("guest", guest);
      body.put("port", port);
      body.put("bindAddress", "0.0.0.0");
      body.put("diskBytes", diskBytes);
      return body;
    }
  }

  private final String url;
  private final String token;
  private final List<GroupToCreate> groups;
  private final int hosts;
  private final Instant deadline;
  private final Duration poll;
  private final Clock clock;
  private final PrintStream out;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  BootstrapGroups(
      String url,
      String token,
      List<GroupToCreate> groups,
      int hosts,
      Duration timeout,
      Duration poll,
      Clock clock,
      PrintStream out) {
    this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.token = token == null ? "" : token;
    this.groups = List.copyOf(groups);
    this.hosts = hosts;
    this.clock = clock;
    this.deadline = clock.instant().plus(timeout);
    this.poll = poll;
    this.out = out;
  }

  /** The job as the environment describes it. */
  static BootstrapGroups fromEnvironment(Map<String, String> env, PrintStream out) {
    String url = env.get("COLO_COORDINATOR_URL");
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("COLO_COORDINATOR_URL is not set");
    }
    List<GroupToCreate> groups = new ArrayList<>();
    for (String spec : env.getOrDefault("COLO_BOOTSTRAP_GROUPS", "").trim().split("\\s+")) {
      if (!spec.isEmpty()) {
        groups.add(GroupToCreate.parse(spec));
      }
    }
    return new BootstrapGroups(
        url,
        env.get("COLO_SECURITY_TOKEN"),
        groups,
        Integer.parseInt(env.getOrDefault("COLO_BOOTSTRAP_HOSTS", "2")),
        Duration.ofSeconds(Long.parseLong(env.getOrDefault("COLO_BOOTSTRAP_TIMEOUT", "300"))),
        Duration.ofSeconds(1),
        Clock.systemUTC(),
        out);
  }

  public static void main(String[] args) {
    int status;
    try {
      status = fromEnvironment(System.getenv(), System.out).run();
    } catch (IllegalArgumentException e) {
      System.out.println("bootstrap-groups: " + e.getMessage());
      status = 2;
    }
    System.exit(status);
  }

  /** 0 when every group is PROTECTED, 1 when the time ran out or a group cannot be created. */
  int run() {
    try {
      say("waiting for " + hosts + " host(s) and a proxy at " + url);
      while (true) {
        long live = count(get("/v1/hosts"), BootstrapGroups::liveHost);
        long proxies = count(get("/v1/proxies"), p -> http(p.path("url")));
        if (live >= hosts && proxies >= 1) {
          break;
        }
        if (expired()) {
          say("timed out: " + live + " host(s), " + proxies + " proxy(ies) registered");
          return 1;
        }
        Thread.sleep(poll);
      }
      for (GroupToCreate g : groups) {
        if (get("/v1/groups/" + g.id()) != null) {
          say("group " + g.id() + " exists");
          continue;
        }
        String body = JSON.writeValueAsString(g.request());
        say("creating group " + body);
        int status = post("/v1/groups", body);
        if (status >= 300 && get("/v1/groups/" + g.id()) == null) {
          say("could not create group " + g.id() + " (HTTP " + status + ")");
          return 1;
        }
      }
      for (GroupToCreate g : groups) {
        while (true) {
          JsonNode group = get("/v1/groups/" + g.id());
          String state = group == null ? "unknown" : group.path("state").asString("unknown");
          if (state.equals("PROTECTED")) {
            say("group " + g.id() + " is PROTECTED");
            break;
          }
          if (expired()) {
            say("timed out: group " + g.id() + " is " + state);
            return 1;
          }
          Thread.sleep(poll);
        }
      }
      say("done");
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      say("interrupted");
      return 1;
    }
  }

  private static boolean liveHost(JsonNode h) {
    return http(h.path("agentUrl")) && http(h.path("mirrorUrl")) && !h.path("lost").asBoolean(true);
  }

  private static boolean http(JsonNode url) {
    return url.isString() && url.asString().startsWith("http");
  }

  private static long count(JsonNode list, java.util.function.Predicate<JsonNode> which) {
    long n = 0;
    if (list != null && list.isArray()) {
      for (JsonNode e : list) {
        if (which.test(e)) {
          n++;
        }
      }
    }
    return n;
  }

  private boolean expired() {
    return !clock.instant().isBefore(deadline);
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(10));
    if (!token.isEmpty()) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  /** The JSON the coordinator answers, or null when it does not answer 200 with JSON. */
  private JsonNode get(String path) throws InterruptedException {
    try {
      HttpResponse<String> r =
          http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (IOException | JacksonException e) {
      return null;
    }
  }

  private int post(String path, String body) throws InterruptedException {
    try {
      return http.send(
              request(path)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return 599;
    }
  }

  private void say(String line) {
    out.println("bootstrap-groups: " + line);
  }
}
