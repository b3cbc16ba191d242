package dev.coloha.mirror;

import dev.coloha.testkit.BadRequest;
import dev.coloha.testkit.spring.ApiContract;
import dev.coloha.testkit.spring.TemporaryDataDir;
import java.util.List;
import java.util.stream.Stream;

/**
 * The disk mirror's API contract: every bad request is refused at once with a problem document
 * naming the field, the mirror serves on, and fuzzed bodies never get a 5xx or change anything when
 * refused.
 */
@TemporaryDataDir("colo.mirror.data-dir")
class MirrorContractIT extends ApiContract {
  MirrorContractIT() {
    super("/v1/volumes");
  }

  static final String LONG_ID = "a".repeat(10_000);

  static Stream<BadRequest> badRequests() {
    String v = "/v1/volumes";
    return Stream.concat(
        Stream.of(
            BadRequest.json(
                    "unknown field", "POST", v, "{\"id\":\"v1\",\"sizeBytes\":4096,\"x\":1}")
                .is(400, "unknown-field", "x"),
            BadRequest.json("fraction", "POST", v, "{\"id\":\"v1\",\"sizeBytes\":1.5}")
                .is(400, "invalid-field", "sizeBytes"),
            BadRequest.json(
                    "beyond a long",
                    "POST",
                    v,
                    "{\"id\":\"v1\",\"sizeBytes\":99999999999999999999999}")
                .is(400, "invalid-field", "sizeBytes"),
            BadRequest.json("negative size", "POST", v, "{\"id\":\"v1\",\"sizeBytes\":-512}")
                .is(400, "invalid-field", "sizeBytes"),
            BadRequest.json("size not of sectors", "POST", v, "{\"id\":\"v1\",\"sizeBytes\":1000}")
                .is(400, "invalid-field", "sizeBytes"),
            BadRequest.json(
                    "1 TB volume", "POST", v, "{\"id\":\"v1\",\"sizeBytes\":1000000000000000}")
                .is(400, "invalid-field", "sizeBytes"),
            BadRequest.json("size as text", "POST", v, "{\"id\":\"v1\",\"sizeBytes\":\"big\"}")
                .is(400, "invalid-field", "sizeBytes"),
            BadRequest.json("no size", "POST", v, "{\"id\":\"v1\"}")
                .is(400, "invalid-field", "sizeBytes"),
            BadRequest.json("path in the id", "POST", v, "{\"id\":\"../x\",\"sizeBytes\":4096}")
                .is(400, "invalid-field", "id"),
            BadRequest.json(
                    "10,000-character id",
                    "POST",
                    v,
                    "{\"id\":\"" + LONG_ID + "\",\"sizeBytes\":4096}")
                .is(400, "invalid-field", "id"),
            BadRequest.json(
                    "unknown role", "POST", v, "{\"id\":\"v1\",\"sizeBytes\":4096,\"role\":\"X\"}")
                .is(400, "invalid-field", "role"),
            BadRequest.json(
                    "negative epoch", "POST", v, "{\"id\":\"v1\",\"sizeBytes\":4096,\"epoch\":-1}")
                .is(400, "invalid-field", "epoch"),
            BadRequest.json("empty body", "POST", v, "").is(400, "malformed-body", "body"),
            BadRequest.json("an array", "POST", v, "[1,2]").is(400, "malformed-body", "body"),
            BadRequest.bare("encoded slash on delete", "DELETE", v + "/..%2Fx")
                .is(400, "invalid-path", "path"),
            BadRequest.json(
                    "file URL for the secondary",
                    "POST",
                    v + "/v1/resync",
                    "{\"secondaryUrl\":\"file:///etc/passwd\",\"secondaryVolume\":\"v2\"}")
                .is(400, "invalid-field", "secondaryUrl"),
            BadRequest.json(
                    "URL with user info",
                    "POST",
                    v + "/v1/resync",
                    "{\"secondaryUrl\":\"http://u:p@127.0.0.1:1\",\"secondaryVolume\":\"v2\"}")
                .is(400, "invalid-field", "secondaryUrl"),
            BadRequest.json(
                    "path as the secondary volume",
                    "POST",
                    v + "/v1/resync",
                    "{\"secondaryUrl\":\"http://127.0.0.1:1\",\"secondaryVolume\":\"../v2\"}")
                .is(400, "invalid-field", "secondaryVolume"),
            BadRequest.json(
                    "epoch as text", "POST", v + "/v1/commit", "{\"epoch\":\"one\",\"barrier\":1}")
                .is(400, "invalid-field", "epoch"),
            BadRequest.json("no barrier", "POST", v + "/v1/commit", "{\"epoch\":1}")
                .is(400, "invalid-field", "barrier"),
            BadRequest.json("epoch past a long", "POST", v + "/v1/failover", "{\"epoch\":1e30}")
                .is(400, "invalid-field", "epoch"),
            BadRequest.bare("unknown volume", "GET", v + "/nope")
                .is(404, "volume-not-found", null)),
        BadRequest.everyService(
            v, "POST", v, "{\"id\":\"v1\",\"sizeBytes\":4096}", "volume-not-found"));
  }

  @Override
  protected Fuzzing fuzzing() {
    return new Fuzzing(
        "POST",
        "/v1/volumes",
        List.of(
            "{\"id\":\"fz\",\"sizeBytes\":4096}",
            "{\"id\":\"fz\",\"sizeBytes\":8192,\"role\":\"SECONDARY\",\"epoch\":3}"),
        300,
        100,
        () -> api.get("/v1/volumes").body(),
        r -> api.delete("/v1/volumes/" + r.json().get("id").asString()));
  }
}
