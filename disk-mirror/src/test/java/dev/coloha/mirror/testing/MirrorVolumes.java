package dev.coloha.mirror.testing;

import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Http;
import java.time.Duration;

/**
 * A volume of the mirror's REST API as the mirror tests drive it: protected by a secondary on
 * another mirror, its state and its digests.
 */
public final class MirrorVolumes {
  private MirrorVolumes() {}

  /**
   * A primary volume in epoch 1 on {@code primary}, a secondary of the same id and size on {@code
   * secondary} (reached by the primary at {@code secondaryUrl}), the primary's resync to it;
   * returns once the primary is REPLICATING (within {@code wait}).
   */
  public static void protect(
      Http primary,
      Http secondary,
      String secondaryUrl,
      String volume,
      long sizeBytes,
      Duration wait) {
    primary.ok(
        primary.post(
            "/v1/volumes",
            "{\"id\":\"" + volume + "\",\"sizeBytes\":" + sizeBytes + ",\"epoch\":1}"));
    secondary.ok(
        secondary.post(
            "/v1/volumes",
            "{\"id\":\""
                + volume
                + "\",\"sizeBytes\":"
                + sizeBytes
                + ",\"role\":\"SECONDARY\",\"epoch\":1}"));
    primary.ok(
        primary.post(
            "/v1/volumes/" + volume + "/resync",
            "{\"secondaryUrl\":\"" + secondaryUrl + "\",\"secondaryVolume\":\"" + volume + "\"}"));
    await().atMost(wait).until(() -> state(primary, volume).equals("REPLICATING"));
  }

  /** The volume's state ({@code GET /v1/volumes/{id}}). */
  public static String state(Http api, String volume) {
    return api.ok(api.get("/v1/volumes/" + volume)).path("state").asString();
  }

  /** One of the volume's digests: {@code base} or {@code view}. */
  public static String digest(Http api, String volume, String which) {
    return api.ok(api.get("/v1/volumes/" + volume + "/digest")).path(which).asString();
  }
}
