package dev.coloha.containers;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Prometheus' HTTP API (v1) from the test. */
final class PrometheusApi {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  PrometheusApi(String base) {
    this.base = base;
  }

  /** An answer: the HTTP status and the JSON body (a parse error is a 400 with bad_data). */
  record Answer(int status, JsonNode json) {
    JsonNode data() {
      return json.path("data");
    }

    String error() {
      return json.path("errorType").asString("") + ": " + json.path("error").asString("");
    }
  }

  Answer query(String promql) {
    return get("/api/v1/query?query=" + encode(promql));
  }

  Answer queryRange(String promql, Instant start, Instant end, Duration step) {
    return get(
        "/api/v1/query_range?query="
            + encode(promql)
            + "&start="
            + start.getEpochSecond()
            + "&end="
            + end.getEpochSecond()
            + "&step="
            + step.toSeconds());
  }

  /** {@code /api/v1/targets}: data.activeTargets, each with labels and health. */
  Answer targets() {
    return get("/api/v1/targets?state=active");
  }

  /** {@code /api/v1/alerts}: data.alerts, each with labels and state (pending, firing). */
  Answer alerts() {
    return get("/api/v1/alerts");
  }

  /** {@code /api/v1/status/buildinfo}: data.version and the like. */
  Answer buildInfo() {
    return get("/api/v1/status/buildinfo");
  }

  /** {@code /api/v1/rules?type=alert}: the loaded alerting rules. */
  Answer alertingRules() {
    return get("/api/v1/rules?type=alert");
  }

  /** True when Prometheus answers {@code /-/ready}. */
  boolean ready() {
    try {
      return http.send(
                  HttpRequest.newBuilder(URI.create(base + "/-/ready"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private Answer get(String pathAndQuery) {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base + pathAndQuery))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), JSON.readTree(r.body()));
    } catch (IOException e) {
      throw new IllegalStateException("GET " + base + pathAndQuery, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
