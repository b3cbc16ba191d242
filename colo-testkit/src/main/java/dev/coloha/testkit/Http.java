package dev.coloha.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The tests' HTTP client: one service at {@code base} (e.g. {@code http://127.0.0.1:8080}), paths
 * relative to it; JSON bodies, or any method, content type, body and headers ({@link #send}) for
 * contract tests. Replies are returned whatever their status, so a test asserts on it; {@link #ok}
 * turns a non-2xx reply into a failure with the body. With a bearer token every request carries it.
 */
public final class Http {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final String bearerToken;

  public Http(String base) {
    this(base, null);
  }

  /** A client that sends {@code Authorization: Bearer <token>} (none when null). */
  public Http(String base, String bearerToken) {
    this.base = base;
    this.bearerToken = bearerToken;
  }

  /**
   * A client of no one service: every path is a whole URL ({@code http://host:port/...}), each
   * request with the bearer token (none when null). For labs, whose services' URLs are data.
   */
  public static Http urls(String bearerToken) {
    return new Http("", bearerToken);
  }

  /** A client of the service on {@code 127.0.0.1:port}, with a bearer token (none when null). */
  public static Http loopback(int port, String bearerToken) {
    return new Http("http://127.0.0.1:" + port, bearerToken);
  }

  public String base() {
    return base;
  }

  /** Status, content type, body and headers of a response. */
  public record Reply(
      int status, String contentType, String body, Map<String, List<String>> headers) {
    public JsonNode json() {
      return JSON.readTree(body);
    }

    /**
     * The body of a 2xx reply; otherwise an {@link IOException} naming the request, the status and
     * the body (for callers that poll and retry on I/O failures).
     */
    public String body2xx(String request) throws IOException {
      if (status / 100 != 2) {
        throw new IOException(request + ": " + status + " " + body);
      }
      return body;
    }

    /** The first value of a response header (names in any case), if it was sent. */
    public Optional<String> header(String name) {
      return headers.entrySet().stream()
          .filter(h -> h.getKey().equalsIgnoreCase(name) && !h.getValue().isEmpty())
          .map(h -> h.getValue().getFirst())
          .findFirst();
    }

    /** Whether the body is an RFC 9457 problem document. */
    public boolean isProblem() {
      return contentType.startsWith("application/problem+json");
    }
  }

  public Reply get(String path) {
    return send(request(path).GET());
  }

  public Reply delete(String path) {
    return send(request(path).DELETE());
  }

  public Reply post(String path, String json) {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  public Reply put(String path, String json) {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(json)));
  }

  public Reply put(String path, String contentType, byte[] body) {
    return send(
        request(path)
            .header("Content-Type", contentType)
            .PUT(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  /** Any method with a JSON body (none when null). */
  public Reply json(String method, String path, String body) {
    return send(
        method,
        path,
        "application/json",
        body == null ? null : body.getBytes(StandardCharsets.UTF_8),
        Map.of());
  }

  /**
   * Any method, content type (none when null), body (none when null) and headers, as a contract
   * test sends them: nothing checked.
   */
  public Reply send(
      String method, String path, String contentType, byte[] body, Map<String, String> headers) {
    HttpRequest.Builder b = request(path);
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    headers.forEach(b::header);
    return send(
        b.method(
            method,
            body == null
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  /** The body of a {@code GET} as bytes; fails unless the status is 200. */
  public byte[] bytes(String path) {
    try {
      HttpResponse<byte[]> r =
          client.send(
              request(path).timeout(REQUEST_TIMEOUT).build(),
              HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new AssertionError("GET " + path + ": HTTP " + r.statusCode());
      }
      return r.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The JSON of a 2xx reply; fails with the body otherwise. */
  public static JsonNode ok(Reply r) {
    if (r.status() / 100 != 2) {
      throw new AssertionError("HTTP " + r.status() + ": " + r.body());
    }
    return r.json();
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
    if (bearerToken != null) {
      b.header("Authorization", "Bearer " + bearerToken);
    }
    return b;
  }

  private Reply send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r =
          client.send(b.timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(
          r.statusCode(),
          r.headers().firstValue("Content-Type").orElse(""),
          r.body(),
          r.headers().map());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
