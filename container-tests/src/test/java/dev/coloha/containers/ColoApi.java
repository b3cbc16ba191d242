package dev.coloha.containers;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The coordinator's REST API (and any service's actuator) from the test, with the token. */
final class ColoApi {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String token;

  ColoApi(String token) {
    this.token = token;
  }

  record Response(int status, String body) {
    JsonNode json() {
      return JSON.readTree(body);
    }
  }

  Response get(String url) {
    return send(HttpRequest.newBuilder(URI.create(url)).GET(), true);
  }

  /** A request without the token (the services answer 401). */
  Response getWithoutToken(String url) {
    return send(HttpRequest.newBuilder(URI.create(url)).GET(), false);
  }

  Response post(String url, String json) {
    return send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)),
        true);
  }

  private Response send(HttpRequest.Builder b, boolean withToken) {
    b.timeout(Duration.ofSeconds(60));
    if (withToken) {
      b.header("Authorization", "Bearer " + token);
    }
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code GET /v1/groups/{id}}, or null when the coordinator does not answer it yet. */
  JsonNode group(String coordinatorUrl, String id) {
    try {
      Response r = get(coordinatorUrl + "/v1/groups/" + id);
      return r.status() == 200 ? r.json() : null;
    } catch (IllegalStateException e) {
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
