package dev.coloha.coordinator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.BadRequest;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.spring.ApiContract;
import dev.coloha.testkit.spring.TemporaryDataDir;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The coordinator's API contract: every bad request is refused at once with a problem document
 * naming the field (memory and disk against what a live host advertises), the coordinator serves
 * on, a group that cannot be placed ends FAILED, and fuzzed bodies never get a 5xx or change
 * anything when refused.
 */
@TemporaryDataDir("colo.coordinator.data-dir")
@TestPropertySource(
    properties = {
      "colo.coordinator.create-attempts=2",
      "colo.coordinator.create-timeout=1s",
      "colo.coordinator.reprotect-delay=200ms"
    })
class CoordinatorContractIT extends ApiContract {
  CoordinatorContractIT() {
    super("/v1/groups");
  }

  /** A live host whose agent advertises 1 GiB of memory and 4 GiB of disk per VM. */
  @BeforeEach
  void aLiveHost() {
    Http.Reply beat =
        api.json(
            "POST",
            "/v1/hosts/h1/heartbeat",
            "{\"role\":\"agent\",\"url\":\"http://127.0.0.1:9\",\"maxMemoryBytes\":1073741824,"
                + "\"maxDiskBytes\":4294967296}");
    assertThat(beat.status()).as(beat.body()).isEqualTo(204);
  }

  static String group(String extra) {
    return "{\"id\":\"g\",\"guest\":\"kv\"," + extra + "\"port\":7300}";
  }

  static Stream<BadRequest> badRequests() {
    String groups = "/v1/groups";
    String beat = "/v1/hosts/h2/heartbeat";
    return Stream.concat(
        Stream.of(
            BadRequest.json("unknown field", "POST", groups, group("\"colour\":1,"))
                .is(400, "unknown-field", "colour"),
            BadRequest.json(
                    "1 TB of memory", "POST", groups, group("\"memoryBytes\":1000000000000,"))
                .is(400, "invalid-field", "memoryBytes"),
            BadRequest.json("1 TB of disk", "POST", groups, group("\"diskBytes\":1000000000000,"))
                .is(400, "invalid-field", "diskBytes"),
            BadRequest.json("memory below a page", "POST", groups, group("\"memoryBytes\":100,"))
                .is(400, "invalid-field", "memoryBytes"),
            BadRequest.json("fractional memory", "POST", groups, group("\"memoryBytes\":1.5,"))
                .is(400, "invalid-field", "memoryBytes"),
            BadRequest.json("memory past a long", "POST", groups, group("\"memoryBytes\":1e30,"))
                .is(400, "invalid-field", "memoryBytes"),
            BadRequest.json("disk not of sectors", "POST", groups, group("\"diskBytes\":1000,"))
                .is(400, "invalid-field", "diskBytes"),
            BadRequest.json(
                    "guest path",
                    "POST",
                    groups,
                    group("").replace("\"guest\":\"kv\"", "\"guest\":\"../../etc/passwd\""))
                .is(400, "invalid-field", "guest"),
            BadRequest.json("no guest", "POST", groups, "{\"id\":\"g\",\"port\":7300}")
                .is(400, "invalid-field", "guest"),
            BadRequest.json("an unknown network model", "POST", groups, group("\"network\":\"x\","))
                .is(400, "invalid-field", "network"),
            BadRequest.json(
                    "a file outside /data", "POST", groups, group("\"files\":{\"../x\":\"y\"},"))
                .is(400, "invalid-field", "files"),
            BadRequest.json(
                    "an unknown appendfsync", "POST", groups, group("\"appendfsync\":\"x\","))
                .is(400, "invalid-field", "appendfsync"),
            BadRequest.json(
                    "COLO_APPENDFSYNC through env",
                    "POST",
                    groups,
                    group("\"env\":{\"COLO_APPENDFSYNC\":\"no\"},"))
                .is(400, "invalid-field", "env"),
            BadRequest.json(
                    "unparseable bind address",
                    "POST",
                    groups,
                    group("\"bindAddress\":\"999.1.1.1\","))
                .is(400, "invalid-field", "bindAddress"),
            BadRequest.json(
                    "a host name to bind",
                    "POST",
                    groups,
                    group("\"bindAddress\":\"example.org\","))
                .is(400, "invalid-field", "bindAddress"),
            BadRequest.json("privileged port", "POST", groups, group("").replace("7300", "1"))
                .is(400, "invalid-field", "port"),
            BadRequest.json("port past 65535", "POST", groups, group("").replace("7300", "70000"))
                .is(400, "invalid-field", "port"),
            BadRequest.json("port as text", "POST", groups, group("").replace("7300", "\"http\""))
                .is(400, "invalid-field", "port"),
            BadRequest.json("no port", "POST", groups, "{\"id\":\"g\",\"guest\":\"kv\"}")
                .is(400, "invalid-field", "port"),
            BadRequest.json(
                    "id with a space",
                    "POST",
                    groups,
                    group("").replace("\"id\":\"g\"", "\"id\":\"Bad Id\""))
                .is(400, "invalid-field", "id"),
            BadRequest.json(
                    "10,000-character id",
                    "POST",
                    groups,
                    group("").replace("\"id\":\"g\"", "\"id\":\"" + "a".repeat(10_000) + "\""))
                .is(400, "invalid-field", "id"),
            BadRequest.json(
                    "no missed beats", "POST", groups, group("\"policy\":{\"missedBeats\":0},"))
                .is(400, "invalid-field", "policy.missedBeats"),
            BadRequest.json(
                    "interval past a long",
                    "POST",
                    groups,
                    group("\"policy\":{\"maxIntervalMs\":1e30},"))
                .is(400, "invalid-field", "policy.maxIntervalMs"),
            BadRequest.json(
                    "interval of a year",
                    "POST",
                    groups,
                    group("\"policy\":{\"minIntervalMs\":31536000000},"))
                .is(400, "invalid-field", "policy.minIntervalMs"),
            BadRequest.json(
                    "maximum interval below the minimum",
                    "POST",
                    groups,
                    group("\"policy\":{\"minIntervalMs\":5000,\"maxIntervalMs\":100},"))
                .is(400, "invalid-field", "policy.maxIntervalMs"),
            BadRequest.json(
                    "minimum interval above the default maximum",
                    "POST",
                    groups,
                    group("\"policy\":{\"minIntervalMs\":60000},"))
                .is(400, "invalid-field", "policy.minIntervalMs"),
            BadRequest.json("unknown policy field", "POST", groups, group("\"policy\":{\"x\":1},"))
                .is(400, "unknown-field", "policy.x"),
            BadRequest.json(
                    "policy update without beats",
                    "PUT",
                    groups + "/g/policy",
                    "{\"missedBeats\":0}")
                .is(400, "invalid-field", "missedBeats"),
            BadRequest.json(
                    "file URL in a heartbeat",
                    "POST",
                    beat,
                    "{\"role\":\"agent\",\"url\":\"file:///etc/passwd\"}")
                .is(400, "invalid-field", "url"),
            BadRequest.json(
                    "unknown role", "POST", beat, "{\"role\":\"router\",\"url\":\"http://x\"}")
                .is(400, "invalid-field", "role"),
            BadRequest.json(
                    "negative advertised memory",
                    "POST",
                    beat,
                    "{\"role\":\"agent\",\"url\":\"http://x\",\"maxMemoryBytes\":-1}")
                .is(400, "invalid-field", "maxMemoryBytes"),
            BadRequest.json(
                    "space in a host name",
                    "POST",
                    "/v1/hosts/a%20b/heartbeat",
                    "{\"role\":\"agent\",\"url\":\"http://x\"}")
                .is(400, "invalid-field", "name"),
            BadRequest.bare("encoded slash on delete", "DELETE", groups + "/..%2Fx")
                .is(400, "invalid-path", "path")),
        BadRequest.everyService(groups, "POST", groups, group(""), "not-found"));
  }

  @Test
  void aServedPortIsAConflictAndAGroupThatCannotBePlacedEndsFailed() {
    Http.Reply first =
        api.json("POST", "/v1/groups", "{\"id\":\"first\",\"guest\":\"kv\",\"port\":7301}");
    assertThat(first.status()).as(first.body()).isEqualTo(202);
    BadRequest.json(
            "the port of another group",
            "POST",
            "/v1/groups",
            "{\"id\":\"second\",\"guest\":\"kv\",\"port\":7301}")
        .is(409, "conflict", "port")
        .check(api);
    BadRequest.json(
            "the port of another group on every address",
            "POST",
            "/v1/groups",
            "{\"id\":\"second\",\"guest\":\"kv\",\"port\":7301,\"bindAddress\":\"0.0.0.0\"}")
        .is(409, "conflict", "port")
        .check(api);
    BadRequest.json(
            "the id of another group",
            "POST",
            "/v1/groups",
            group("").replace("\"g\"", "\"first\""))
        .is(409, "conflict", "id")
        .check(api);
    // no proxy ever registers: after create-attempts attempts and create-timeout it gives up
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              JsonNode g = api.get("/v1/groups/first").json();
              assertThat(g.get("state").asString()).isEqualTo("FAILED");
              assertThat(g.get("reason").asString()).contains("attempts", "no proxy");
              // the state is stored before its history event: both are awaited
              assertThat(api.get("/v1/groups/first/history").body())
                  .contains("\"kind\":\"failed\"");
            });
    assertThat(api.delete("/v1/groups/first").status()).isEqualTo(204);
    assertThat(api.get("/v1/groups/first").status()).isEqualTo(404);
  }

  private String groupIds() {
    StringBuilder ids = new StringBuilder();
    api.get("/v1/groups").json().forEach(g -> ids.append(g.get("id").asString()).append(' '));
    return ids.toString();
  }

  @Override
  protected Fuzzing fuzzing() {
    return new Fuzzing(
        "POST",
        "/v1/groups",
        List.of(
            "{\"id\":\"fz\",\"guest\":\"kv\",\"port\":7400}",
            "{\"id\":\"fz\",\"guest\":\"http\",\"memoryBytes\":1048576,\"diskBytes\":4096,"
                + "\"port\":7401,\"bindAddress\":\"127.0.0.1\",\"policy\":{\"minIntervalMs\":0,"
                + "\"maxIntervalMs\":1000,\"compareTimeoutMs\":500,\"heartbeatIntervalMs\":100,"
                + "\"missedBeats\":3}}"),
        200,
        50,
        this::groupIds,
        r ->
            assertThat(api.delete("/v1/groups/" + r.json().get("id").asString()).status())
                .isEqualTo(204));
  }
}
