package dev.coloha.coordinator.remote;

import dev.coloha.web.security.ServiceToken;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON calls to agents, mirrors and proxies, each through Resilience4j: a circuit breaker per
 * target (a dead host fails fast instead of tying up the coordinator), retries with exponential
 * backoff for idempotent calls only, and a timeout per call. Errors come back typed: {@link
 * RemoteException} with the problem slug, or {@link UnreachableException}.
 */
public final class Remote {
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final HttpClient http;
  private final JsonMapper json;
  private final ServiceToken token;
  private final CircuitBreakerRegistry breakers;
  private final RetryRegistry retries;

  public Remote(
      JsonMapper json,
      ServiceToken token,
      CircuitBreakerRegistry breakers,
      RetryRegistry retries,
      Duration connectTimeout) {
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(connectTimeout)
            .version(HttpClient.Version.HTTP_1_1)
            .build();
    this.json = json;
    this.token = token;
    this.breakers = breakers;
    this.retries = retries;
  }

  /** Whether a call may be repeated without changing its effect (then it is retried). */
  public enum Idempotence {
    IDEMPOTENT,
    ONCE
  }

  /**
   * Calls {@code method url} with {@code body} (JSON) and decodes the answer into {@code type}
   * (null for none).
   *
   * @param target the circuit breaker's name, e.g. {@code agent:host-1}
   */
  public <T> T call(
      String target,
      Idempotence idempotence,
      String method,
      String url,
      Object body,
      Class<T> type,
      Duration timeout) {
    String what = method + " " + URI.create(url).getPath();
    CircuitBreaker breaker = breakers.circuitBreaker(target, breakerConfig());
    Supplier<T> attempt =
        CircuitBreaker.decorateSupplier(
            breaker, () -> once(target, what, method, url, body, type, timeout));
    if (idempotence == Idempotence.IDEMPOTENT) {
      Retry retry =
          retries.retry(
              target,
              RetryConfig.from(retries.getDefaultConfig())
                  .retryOnException(
                      e ->
                          e instanceof UnreachableException
                              || (e instanceof RemoteException r && r.status() >= 502))
                  .build());
      attempt = Retry.decorateSupplier(retry, attempt);
    }
    try {
      return attempt.get();
    } catch (CallNotPermittedException e) {
      throw new UnreachableException(target, what, e);
    }
  }

  /**
   * Whether the service at {@code url} answers its health probe ({@code GET /actuator/health}),
   * asked directly: no circuit breaker, no retry.
   */
  public boolean answers(String target, String url, Duration probeTimeout) {
    try {
      direct(target, "GET", url + "/actuator/health", null, null, probeTimeout);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether the service at {@code url} answers a direct probe ({@link #answers}); if it does, its
   * circuit breaker is closed again (it may be a restarted service on the old address).
   */
  public boolean ready(String target, String url, Duration probeTimeout) {
    if (!answers(target, url, probeTimeout)) {
      return false;
    }
    resetBreaker(target);
    return true;
  }

  /** {@code GET url}, retried (a read is idempotent), its answer decoded into {@code type}. */
  public <T> T get(String target, String url, Class<T> type, Duration timeout) {
    return call(target, Idempotence.IDEMPOTENT, "GET", url, null, type, timeout);
  }

  /**
   * {@code DELETE url}, retried (a delete is idempotent): what is not there (404) counts as
   * deleted.
   */
  public void delete(String target, String url, Duration timeout) {
    try {
      call(target, Idempotence.IDEMPOTENT, "DELETE", url, null, null, timeout);
    } catch (RemoteException e) {
      if (e.status() != 404) {
        throw e;
      }
    }
  }

  /**
   * The ids of what {@code GET url} lists, each answer's {@code id} (none when it answers nothing).
   */
  public <T> List<String> ids(
      String target, String url, Class<T[]> type, Function<T, String> id, Duration timeout) {
    T[] all = get(target, url, type, timeout);
    return all == null ? List.of() : Arrays.stream(all).map(id).toList();
  }

  /**
   * The breaker's configuration: the default one, recording as failures only what says the service
   * is not there (no answer, a timeout) or broken (5xx). A 4xx is an answer: a service that refuses
   * a request it does not like (a stale epoch, an unknown group) is up.
   */
  private io.github.resilience4j.circuitbreaker.CircuitBreakerConfig breakerConfig() {
    return io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.from(
            breakers.getDefaultConfig())
        .recordException(Remote::countsAgainstService)
        .build();
  }

  /** Whether a call's failure says the service is unreachable or failing (not a 4xx answer). */
  public static boolean countsAgainstService(Throwable e) {
    return e instanceof UnreachableException
        || (e instanceof RemoteException r && r.status() >= 500);
  }

  /** One call without circuit breaker or retry (health probes must really probe). */
  public <T> T direct(
      String target, String method, String url, Object body, Class<T> type, Duration timeout) {
    return once(target, method + " " + URI.create(url).getPath(), method, url, body, type, timeout);
  }

  private <T> T once(
      String target,
      String what,
      String method,
      String url,
      Object body,
      Class<T> type,
      Duration timeout) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
    token.headers().forEach(b::header);
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
    }
    HttpResponse<String> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UnreachableException(target, what, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnreachableException(target, what, e);
    }
    if (r.statusCode() >= 300) {
      Map<String, Object> problem = Map.of();
      try {
        problem = json.readValue(r.body(), MAP);
      } catch (RuntimeException notJson) {
        // keep the status only
      }
      Object t = problem.get("type");
      String slug =
          t == null
              ? "http-" + r.statusCode()
              : t.toString().substring(t.toString().lastIndexOf('/') + 1);
      Object detail = problem.get("detail");
      throw new RemoteException(
          target, what, r.statusCode(), slug, detail == null ? null : detail.toString(), problem);
    }
    if (type == null || type == Void.class || r.body() == null || r.body().isEmpty()) {
      return null;
    }
    // a member the answer lacks reads as its default (0, false), as one it does not know is
    // skipped: the contract ITs check that each record round-trips against the real controller
    return json.readerFor(type)
        .without(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .readValue(r.body());
  }

  /**
   * Closes the circuit breaker of {@code target} after a direct probe showed it answering again (a
   * restarted service on its old address), so that the next calls are not refused for what its
   * predecessor did.
   */
  public void resetBreaker(String target) {
    CircuitBreaker b = breakers.circuitBreaker(target, breakerConfig());
    if (b.getState() != CircuitBreaker.State.CLOSED) {
      b.reset();
    }
  }

  public JsonMapper json() {
    return json;
  }

  public HttpClient http() {
    return http;
  }

  public ServiceToken token() {
    return token;
  }
}
