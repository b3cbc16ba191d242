package dev.coloha.containers;

import dev.coloha.testkit.Http;
import java.io.UncheckedIOException;
import tools.jackson.databind.JsonNode;

/** The coordinator's REST API (and any service's actuator) from the test, with the token. */
final class ColoApi {
  private final Http http;
  private final Http withoutToken = Http.urls(null);

  ColoApi(String token) {
    this.http = Http.urls(token);
  }

  Http.Reply get(String url) {
    return http.get(url);
  }

  /** A request without the token (the services answer 401). */
  Http.Reply getWithoutToken(String url) {
    return withoutToken.get(url);
  }

  Http.Reply post(String url, String json) {
    return http.post(url, json);
  }

  /** {@code GET /v1/groups/{id}}, or null when the coordinator does not answer it yet. */
  JsonNode group(String coordinatorUrl, String id) {
    try {
      Http.Reply r = get(coordinatorUrl + "/v1/groups/" + id);
      return r.status() == 200 ? r.json() : null;
    } catch (UncheckedIOException e) {
      return null;
    }
  }

  static String groupJson(String id, int port, long diskBytes) {
    return "{\"id\":\""
        + id
        + "\",\"guest\":\"kv\",\"port\":"
        + port
        + ",\"bindAddress\":\"0.0.0.0\",\"diskBytes\":"
        + diskBytes
        + "}";
  }
}
