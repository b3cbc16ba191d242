package dev.coloha.agent;

import dev.coloha.testkit.BadRequest;
import dev.coloha.testkit.spring.ApiContract;
import dev.coloha.testkit.spring.TemporaryDataDir;
import java.util.List;
import java.util.stream.Stream;

/**
 * The replica agent's API contract: every bad request is refused at once with a problem document
 * naming the field, the agent serves on, and fuzzed bodies never get a 5xx or change anything when
 * refused.
 */
@TemporaryDataDir("colo.agent.data-dir")
class AgentContractIT extends ApiContract {
  AgentContractIT() {
    super("/v1/vms");
  }

  static Stream<BadRequest> badRequests() {
    String vms = "/v1/vms";
    String kv = "{\"guest\":\"kv\",";
    return Stream.concat(
        Stream.of(
            BadRequest.json("unknown field", "POST", vms, kv + "\"diskBytes\":0,\"colour\":1}")
                .is(400, "unknown-field", "colour"),
            BadRequest.json("1 TB of memory", "POST", vms, kv + "\"memoryBytes\":1000000000000}")
                .is(400, "invalid-field", "memoryBytes"),
            BadRequest.json("memory below a page", "POST", vms, kv + "\"memoryBytes\":100}")
                .is(400, "invalid-field", "memoryBytes"),
            BadRequest.json("fractional memory", "POST", vms, kv + "\"memoryBytes\":1.5}")
                .is(400, "invalid-field", "memoryBytes"),
            BadRequest.json("memory past a long", "POST", vms, kv + "\"memoryBytes\":1e30}")
                .is(400, "invalid-field", "memoryBytes"),
            BadRequest.json("1 TB of disk", "POST", vms, kv + "\"diskBytes\":1000000000000}")
                .is(400, "invalid-field", "diskBytes"),
            BadRequest.json("disk not of sectors", "POST", vms, kv + "\"diskBytes\":1000}")
                .is(400, "invalid-field", "diskBytes"),
            BadRequest.json("negative disk", "POST", vms, kv + "\"diskBytes\":-1}")
                .is(400, "invalid-field", "diskBytes"),
            BadRequest.json("guest path", "POST", vms, "{\"guest\":\"../../etc/passwd\"}")
                .is(400, "invalid-field", "guest"),
            BadRequest.json(
                    "an inetd network for an ABI v1 guest",
                    "POST",
                    vms,
                    kv + "\"diskBytes\":0,\"network\":\"inetd\"}")
                .is(400, "invalid-field", "network"),
            BadRequest.json(
                    "arguments for an ABI v1 guest",
                    "POST",
                    vms,
                    kv + "\"diskBytes\":0,\"args\":[\"-v\"]}")
                .is(400, "invalid-field", "args"),
            BadRequest.json(
                    "an unknown COLO_APPENDFSYNC",
                    "POST",
                    vms,
                    kv + "\"diskBytes\":0,\"env\":{\"COLO_APPENDFSYNC\":\"sometimes\"}}")
                .is(400, "invalid-field", "env"),
            BadRequest.json("no guest", "POST", vms, "{\"diskBytes\":0}")
                .is(400, "invalid-field", "guest"),
            BadRequest.json("unknown guest", "POST", vms, "{\"guest\":\"nosuch\",\"diskBytes\":0}")
                .is(404, "unknown-guest", null),
            BadRequest.json(
                    "10,000-character id",
                    "POST",
                    vms,
                    "{\"id\":\""
                        + "a".repeat(10_000)
                        + "\","
                        + kv.substring(1)
                        + "\"diskBytes\":0}")
                .is(400, "invalid-field", "id"),
            BadRequest.json("start as text", "POST", vms, kv + "\"diskBytes\":0,\"start\":\"yes\"}")
                .is(400, "invalid-field", "start"),
            BadRequest.json(
                    "file URL for the disk mirror",
                    "POST",
                    vms,
                    kv
                        + "\"diskBytes\":4096,\"mirror\":{\"url\":\"file:///etc/passwd\",\"volume\":\"v\","
                        + "\"epoch\":1}}")
                .is(400, "invalid-field", "mirror.url"),
            BadRequest.json(
                    "path as the mirror volume",
                    "POST",
                    vms,
                    kv
                        + "\"diskBytes\":4096,\"mirror\":{\"url\":\"http://127.0.0.1:1\",\"volume\":\"../v\","
                        + "\"epoch\":1}}")
                .is(400, "invalid-field", "mirror.volume"),
            BadRequest.json(
                    "unknown field in the mirror",
                    "POST",
                    vms,
                    kv
                        + "\"diskBytes\":4096,\"mirror\":{\"url\":\"http://127.0.0.1:1\",\"volume\":\"v\","
                        + "\"epoch\":1,\"path\":\"/etc\"}}")
                .is(400, "unknown-field", "mirror.path"),
            BadRequest.json(
                    "checkpoint file path",
                    "POST",
                    vms + "/x/checkpoints",
                    "{\"file\":\"../../etc/x\"}")
                .is(400, "invalid-field", "file"),
            BadRequest.json(
                    "file URL for the secondary agent",
                    "POST",
                    vms + "/x/primary",
                    "{\"epoch\":1,\"secondary\":{\"agentUrl\":\"file:///etc/passwd\",\"vm\":\"s\"}}")
                .is(400, "invalid-field", "secondary.agentUrl"),
            BadRequest.json(
                    "gopher URL for the secondary agent",
                    "POST",
                    vms + "/x/primary",
                    "{\"epoch\":1,\"secondary\":{\"agentUrl\":\"gopher://127.0.0.1:70\",\"vm\":\"s\"}}")
                .is(400, "invalid-field", "secondary.agentUrl"),
            BadRequest.json("no epoch", "POST", vms + "/x/secondary", "{}")
                .is(400, "invalid-field", "epoch"),
            BadRequest.json("negative epoch", "POST", vms + "/x/checkpoint", "{\"epoch\":-1}")
                .is(400, "invalid-field", "epoch"),
            BadRequest.json("epoch as text", "POST", vms + "/x/promote", "{\"epoch\":\"two\"}")
                .is(400, "invalid-field", "epoch"),
            BadRequest.json("port past 65535", "POST", vms + "/x/listener", "{\"port\":70000}")
                .is(400, "invalid-field", "port"),
            BadRequest.bare("encoded slash in a guest name", "PUT", "/v1/guests/..%2Fx")
                .is(400, "invalid-path", "path"),
            BadRequest.bare("output stream without epoch", "GET", vms + "/x/output")
                .is(400, "invalid-field", "epoch"),
            BadRequest.bare("input stream with a text epoch", "POST", vms + "/x/input?epoch=abc")
                .contentType("application/octet-stream")
                .is(400, "invalid-field", "epoch"),
            BadRequest.bare("module upload as text", "PUT", "/v1/guests/g")
                .contentType("text/plain")
                .is(415, "unsupported-media-type", "Content-Type")),
        BadRequest.everyService(vms, "POST", vms, kv + "\"diskBytes\":0}", "vm-not-found"));
  }

  @Override
  protected Fuzzing fuzzing() {
    return new Fuzzing(
        "POST",
        "/v1/vms",
        List.of(
            "{\"id\":\"fz\",\"guest\":\"http\",\"diskBytes\":0}",
            "{\"id\":\"fz\",\"guest\":\"kv\",\"memoryBytes\":1048576,\"diskBytes\":4096,"
                + "\"start\":false}"),
        200,
        50,
        () -> api.get("/v1/vms").body(),
        r -> api.delete("/v1/vms/" + r.json().get("id").asString()));
  }
}
