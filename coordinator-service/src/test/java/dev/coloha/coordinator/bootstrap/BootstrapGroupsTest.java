package dev.coloha.coordinator.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bootstrap job against a coordinator played by a loopback HTTP server: it reads the
 * coordinator's JSON as JSON (pretty-printed, fields in any order), creates only what is missing
 * and waits for PROTECTED.
 */
class BootstrapGroupsTest {
  HttpServer server;
  String url;
  final List<String> calls = new CopyOnWriteArrayList<>();
  final Map<String, String> groups = new ConcurrentHashMap<>();
  volatile String hosts = "[]";
  volatile String proxies = "[]";
  final ByteArrayOutputStream log = new ByteArrayOutputStream();

  @BeforeEach
  void coordinator() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::answer);
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void answer(HttpExchange x) throws IOException {
    String path = x.getRequestURI().getPath();
    String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    calls.add(
        x.getRequestMethod()
            + " "
            + path
            + " "
            + x.getRequestHeaders().getFirst("Authorization")
            + (body.isEmpty() ? "" : " " + body));
    int status = 200;
    String out;
    if (path.equals("/v1/hosts")) {
      out = hosts;
    } else if (path.equals("/v1/proxies")) {
      out = proxies;
    } else if (path.equals("/v1/groups") && x.getRequestMethod().equals("POST")) {
      groups.put("kv", "{\n  \"state\" : \"SYNCING\",\n  \"id\" : \"kv\"\n}");
      status = 202;
      out = groups.get("kv");
    } else if (path.startsWith("/v1/groups/") && groups.containsKey(path.substring(11))) {
      String g = groups.get(path.substring(11));
      // the group becomes PROTECTED after its first read
      groups.put(path.substring(11), g.replace("SYNCING", "PROTECTED"));
      out = g;
    } else {
      status = 404;
      out = "{\"type\":\"https://coloha.dev/problems/group-not-found\"}";
    }
    byte[] b = out.getBytes(StandardCharsets.UTF_8);
    x.sendResponseHeaders(status, b.length);
    x.getResponseBody().write(b);
    x.close();
  }

  private BootstrapGroups job(String groups, Duration timeout) {
    return new BootstrapGroups(
        url,
        "t0ken",
        List.of(groups.split(" ")).stream().map(BootstrapGroups.GroupToCreate::parse).toList(),
        2,
        timeout,
        Duration.ofMillis(10),
        Clock.systemUTC(),
        new PrintStream(log, true, StandardCharsets.UTF_8));
  }

  @Test
  void createsTheMissingGroupOnceTheHostsAndAProxyAreThereAndWaitsForProtected() {
    // pretty-printed, fields in another order, one host lost, one without a mirror yet
    hosts =
        """
        [ { "lost" : false, "mirrorUrl" : "http://m1:7702", "name" : "host-1",
            "agentUrl" : "http://a1:7701" },
          { "name" : "host-2", "agentUrl" : "http://a2:7701", "mirrorUrl" : "http://m2:7702",
            "lost" : false },
          { "name" : "host-3", "agentUrl" : "http://a3:7701", "mirrorUrl" : null, "lost" : false },
          { "name" : "host-4", "agentUrl" : "http://a4:7701", "mirrorUrl" : "http://m4:7702",
            "lost" : true } ]
        """;
    proxies = "[ { \"name\" : \"proxy-1\", \"url\" : \"http://proxy:7703\" } ]";
    groups.put("web", "{\"id\":\"web\",\"state\":\"PROTECTED\"}");

    assertThat(job("kv=kv:6379:67108864 web=http:8080", Duration.ofSeconds(30)).run()).isZero();

    assertThat(calls)
        .filteredOn(c -> c.startsWith("POST"))
        .containsExactly(
            "POST /v1/groups Bearer t0ken {\"id\":\"kv\",\"guest\":\"kv\",\"port\":6379,"
                + "\"bindAddress\":\"0.0.0.0\",\"diskBytes\":67108864}");
    assertThat(log.toString(StandardCharsets.UTF_8))
        .contains("group web exists", "group kv is PROTECTED", "done");
  }

  @Test
  void tooFewLiveHostsTimeOut() {
    hosts =
        "[{\"name\":\"host-1\",\"agentUrl\":\"http://a1\",\"mirrorUrl\":\"http://m1\",\"lost\":false},"
            + "{\"name\":\"host-2\",\"agentUrl\":\"http://a2\",\"mirrorUrl\":\"http://m2\",\"lost\":true}]";
    proxies = "[{\"url\":\"http://proxy:7703\"}]";
    assertThat(job("kv=kv:6379", Duration.ofMillis(200)).run()).isEqualTo(1);
    assertThat(calls).noneMatch(c -> c.startsWith("POST"));
    assertThat(log.toString(StandardCharsets.UTF_8))
        .contains("timed out: 1 host(s), 1 proxy(ies) registered");
  }

  @Test
  void aBadGroupSpecIsRefusedNamingIt() {
    assertThatThrownBy(() -> BootstrapGroups.GroupToCreate.parse("kv=kv"))
        .hasMessageContaining("'kv=kv' is not id=guest:port[:diskBytes]");
    assertThatThrownBy(() -> BootstrapGroups.GroupToCreate.parse("kv=kv:redis"))
        .hasMessageContaining("are numbers");
    assertThatThrownBy(
            () ->
                BootstrapGroups.fromEnvironment(
                    Map.of("COLO_BOOTSTRAP_GROUPS", "kv=kv:6379"), System.out))
        .hasMessageContaining("COLO_COORDINATOR_URL");
    assertThat(BootstrapGroups.GroupToCreate.parse("kv=kv:6379"))
        .isEqualTo(new BootstrapGroups.GroupToCreate("kv", "kv", 6379, 0));
  }
}
