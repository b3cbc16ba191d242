package dev.coloha.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.BadRequest;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.spring.ApiContract;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/**
 * The packet proxy's API contract: every bad request is refused at once with a problem document
 * naming the field, the proxy serves on, a refused reconfiguration leaves the group as it was, and
 * fuzzed bodies never get a 5xx or change anything when refused.
 */
@TestPropertySource(properties = "colo.proxy.stream.connect-timeout=200ms")
class ProxyContractIT extends ApiContract {
  static final String AGENT = "http://127.0.0.1:9";

  ProxyContractIT() {
    super("/v1/groups");
  }

  /** A valid group body with {@code extra} inserted after the epoch. */
  static String group(String extra) {
    return "{\"epoch\":1,"
        + extra
        + "\"listen\":{\"port\":0},\"primary\":{\"agentUrl\":\""
        + AGENT
        + "\",\"vm\":\"p\"}}";
  }

  static Stream<BadRequest> badRequests() {
    String g = "/v1/groups/g";
    return Stream.concat(
        Stream.of(
            BadRequest.json(
                    "file URL for the primary agent",
                    "PUT",
                    g,
                    "{\"epoch\":1,\"listen\":{\"port\":0},\"primary\":{\"agentUrl\":\"file:///etc/passwd\","
                        + "\"vm\":\"p\"}}")
                .is(400, "invalid-field", "primary.agentUrl"),
            BadRequest.json(
                    "gopher URL for the secondary agent",
                    "PUT",
                    g,
                    group("\"secondary\":{\"agentUrl\":\"gopher://127.0.0.1:70\",\"vm\":\"s\"},"))
                .is(400, "invalid-field", "secondary.agentUrl"),
            BadRequest.json("unknown field", "PUT", g, group("\"colour\":\"red\","))
                .is(400, "unknown-field", "colour"),
            BadRequest.json(
                    "unknown field in listen",
                    "PUT",
                    g,
                    "{\"epoch\":1,\"listen\":{\"port\":0,\"host\":\"x\"},\"primary\":{\"agentUrl\":\""
                        + AGENT
                        + "\",\"vm\":\"p\"}}")
                .is(400, "unknown-field", "listen.host"),
            BadRequest.json(
                    "no epoch",
                    "PUT",
                    g,
                    "{\"listen\":{\"port\":0},\"primary\":{\"agentUrl\":\""
                        + AGENT
                        + "\",\"vm\":\"p\"}}")
                .is(400, "invalid-field", "epoch"),
            BadRequest.json(
                    "negative epoch", "PUT", g, group("").replace("\"epoch\":1", "\"epoch\":-1"))
                .is(400, "invalid-field", "epoch"),
            BadRequest.json(
                    "port past 65535", "PUT", g, group("").replace("\"port\":0", "\"port\":70000"))
                .is(400, "invalid-field", "listen.port"),
            BadRequest.json(
                    "unparseable bind address",
                    "PUT",
                    g,
                    group("").replace("{\"port\":0}", "{\"address\":\"999.1.1.1\",\"port\":0}"))
                .is(400, "invalid-field", "listen.address"),
            BadRequest.json(
                    "10,000-character bind address",
                    "PUT",
                    g,
                    group("")
                        .replace(
                            "{\"port\":0}",
                            "{\"address\":\"" + "1".repeat(10_000) + "\",\"port\":0}"))
                .is(400, "invalid-field", "listen.address"),
            BadRequest.json("unknown mode", "PUT", g, group("\"mode\":\"MIRROR\","))
                .is(400, "invalid-field", "mode"),
            BadRequest.json(
                    "compare timeout as words", "PUT", g, group("\"compareTimeout\":\"soon\","))
                .is(400, "invalid-field", "compareTimeout"),
            BadRequest.json(
                    "negative compare timeout", "PUT", g, group("\"compareTimeout\":\"-PT1S\","))
                .is(400, "invalid-field", "compareTimeout"),
            BadRequest.json(
                    "compare timeout of a year", "PUT", g, group("\"compareTimeout\":\"P365D\","))
                .is(400, "invalid-field", "compareTimeout"),
            BadRequest.json("no connections", "PUT", g, group("\"limits\":{\"maxConnections\":0},"))
                .is(400, "invalid-field", "limits.maxConnections"),
            BadRequest.json(
                    "held bytes past a long",
                    "PUT",
                    g,
                    group("\"limits\":{\"heldPerConnection\":1e30},"))
                .is(400, "invalid-field", "limits.heldPerConnection"),
            BadRequest.json(
                    "passthrough with a secondary",
                    "PUT",
                    g,
                    group(
                        "\"mode\":\"PASSTHROUGH\",\"secondary\":{\"agentUrl\":\""
                            + AGENT
                            + "\",\"vm\":\"s\"},"))
                .is(400, "invalid-field", "secondary"),
            BadRequest.json(
                    "path as the VM",
                    "PUT",
                    g,
                    group("").replace("\"vm\":\"p\"", "\"vm\":\"../p\""))
                .is(400, "invalid-field", "primary.vm"),
            BadRequest.json("space in the group name", "PUT", "/v1/groups/bad%20name", group(""))
                .is(400, "invalid-field", "group"),
            BadRequest.json(
                    "encoded slash in the group name", "PUT", "/v1/groups/..%2Fx", group(""))
                .is(400, "invalid-path", "path"),
            BadRequest.json("commit without a sequence", "POST", g + "/commits", "{\"epoch\":1}")
                .is(400, "invalid-field", "sequence"),
            BadRequest.json(
                    "commit with a negative connection",
                    "POST",
                    g + "/commits",
                    "{\"epoch\":1,\"sequence\":1,\"outputOffsets\":[{\"conn\":-1,\"offset\":0}]}")
                .is(400, "invalid-field", "outputOffsets[0].conn"),
            BadRequest.json("failover without a primary", "POST", g + "/failover", "{\"epoch\":2}")
                .is(400, "invalid-field", "primary"),
            BadRequest.bare("mismatch id as text", "GET", g + "/mismatches/abc")
                .is(400, "invalid-field", "id"),
            BadRequest.bare("events since a word", "GET", g + "/events?since=abc")
                .is(400, "invalid-field", "since"),
            BadRequest.json(
                    "listen check of port 0",
                    "POST",
                    "/v1/listen-checks",
                    "{\"address\":\"127.0.0.1\",\"port\":0}")
                .is(400, "invalid-field", "port"),
            BadRequest.json(
                    "listen check of a bad address",
                    "POST",
                    "/v1/listen-checks",
                    "{\"address\":\"999.1.1.1\",\"port\":7000}")
                .is(400, "invalid-field", "address")),
        BadRequest.everyService("/v1/groups", "PUT", g, group(""), "group-not-found"));
  }

  @Test
  void aTakenPortIsFoundByTheListenCheckAndChangesNothing() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      BadRequest.json(
              "listen check of a taken port",
              "POST",
              "/v1/listen-checks",
              "{\"address\":\"127.0.0.1\",\"port\":" + taken.getLocalPort() + "}")
          .is(409, "conflict", "port")
          .check(api);
    }
    try (ServerSocket wildcard = new ServerSocket()) {
      wildcard.setReuseAddress(true);
      wildcard.bind(new java.net.InetSocketAddress(0));
      BadRequest.json(
              "listen check of a port a server holds on every address",
              "POST",
              "/v1/listen-checks",
              "{\"address\":\"127.0.0.1\",\"port\":" + wildcard.getLocalPort() + "}")
          .is(409, "conflict", "port")
          .check(api);
    }
    int released;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      released = s.getLocalPort();
    }
    Http.Reply free =
        api.json(
            "POST", "/v1/listen-checks", "{\"address\":\"127.0.0.1\",\"port\":" + released + "}");
    assertThat(free.status()).as(free.body()).isEqualTo(200);
    assertThat(free.json().get("free").asBoolean()).isTrue();
    Http.Reply created = api.json("PUT", "/v1/groups/served", group(""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    int served = Integer.parseInt(created.json().get("listen").asString().split(":")[1]);
    BadRequest.json(
            "listen check of a port a group serves",
            "POST",
            "/v1/listen-checks",
            "{\"address\":\"0.0.0.0\",\"port\":" + served + "}")
        .is(409, "conflict", "port")
        .check(api);
    assertThat(api.delete("/v1/groups/served").status()).isEqualTo(204);
  }

  @Test
  void aRefusedReconfigurationLeavesTheGroupAsItWas() {
    String first = group("\"secondary\":{\"agentUrl\":\"" + AGENT + "\",\"vm\":\"s1\"},");
    assertThat(api.json("PUT", "/v1/groups/recon", first).status()).isEqualTo(201);
    String before = api.get("/v1/groups/recon").json().get("secondary").toString();
    String second =
        group("\"secondary\":{\"agentUrl\":\"" + AGENT + "\",\"vm\":\"s2\"},")
            .replace("\"epoch\":1", "\"epoch\":2");
    BadRequest.json("a new secondary without sync", "PUT", "/v1/groups/recon", second)
        .is(409, "conflict", "sync")
        .check(api);
    var after = api.get("/v1/groups/recon").json();
    assertThat(after.get("epoch").asLong()).isEqualTo(1);
    assertThat(after.get("secondary").toString()).isEqualTo(before);
    assertThat(api.delete("/v1/groups/recon").status()).isEqualTo(204);
  }

  @Override
  protected Fuzzing fuzzing() {
    return new Fuzzing(
        "PUT",
        "/v1/groups/fz",
        List.of(
            group(""),
            group(
                "\"mode\":\"COLO\",\"compareTimeout\":\"PT2S\",\"secondary\":{\"agentUrl\":\""
                    + AGENT
                    + "\",\"vm\":\"s\"},\"limits\":{\"maxConnections\":10,"
                    + "\"heldPerConnection\":65536},\"sync\":{\"sequence\":0,"
                    + "\"outputOffsets\":[{\"conn\":1,\"offset\":5}],\"closedConnections\":[2]},")),
        300,
        100,
        () -> api.get("/v1/groups").body(),
        r -> api.delete("/v1/groups/fz"));
  }
}
