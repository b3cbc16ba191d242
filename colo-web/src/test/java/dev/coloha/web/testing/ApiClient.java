package dev.coloha.web.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A raw HTTP client for contract tests: any method, path, headers and body, nothing checked. */
public final class ApiClient {
  static final JsonMapper JSON = JsonMapper.builder().build();
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final String token;

  /**
   * @param token the shared token, or null when the service runs without one
   */
  public ApiClient(int port, String token) {
    this.base = "http://127.0.0.1:" + port;
    this.token = token;
  }

  /** Status, content type and body of a response. */
  public record Reply(int status, String contentType, String body) {
    public JsonNode json() {
      return JSON.readTree(body);
    }

    public boolean isProblem() {
      return contentType.startsWith("application/problem+json");
    }
  }

  public Reply get(String path) {
    return send("GET", path, null, null, Map.of());
  }

  public Reply delete(String path) {
    return send("DELETE", path, null, null, Map.of());
  }

  public Reply json(String method, String path, String body) {
    return send(method, path, "application/json", body == null ? null : body.getBytes(), Map.of());
  }

  public Reply send(
      String method, String path, String contentType, byte[] body, Map<String, String> headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    headers.forEach(b::header);
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofByteArray(body));
    try {
      HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
