package dev.coloha.coordinator.remote;

import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Follows a group's event stream at the proxy ({@code GET /v1/groups/{id}/events}, one JSON event
 * per line): mismatches, pressure, broken replica streams, each read into its {@link ProxyEvent}
 * record. Reconnects when the stream ends.
 */
public final class ProxyEventStream implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProxyEventStream.class);

  private final Remote remote;
  private final String url;
  private final Consumer<ProxyEvent> onEvent;
  private final BiConsumer<String, Instant> onUnserved;
  private final Duration retry;
  private volatile boolean closed;
  private volatile Thread thread;

  public ProxyEventStream(
      Remote remote,
      String proxyUrl,
      String group,
      Consumer<ProxyEvent> onEvent,
      BiConsumer<String, Instant> onUnserved,
      Duration retry) {
    this.remote = remote;
    this.url = proxyUrl + "/v1/groups/" + group + "/events";
    this.onEvent = onEvent;
    this.onUnserved = onUnserved;
    this.retry = retry;
  }

  public ProxyEventStream start() {
    thread = Thread.ofVirtual().name("proxy-events").start(this::follow);
    return this;
  }

  private void follow() {
    boolean warned = false;
    while (!closed) {
      // when the request went out: what it finds out is true from then on, not before (a 404
      // that arrives after the group was given to the proxy again says nothing about now)
      Instant asked = Instant.now();
      try {
        HttpRequest.Builder b =
            HttpRequest.newBuilder(URI.create(url)).header("Accept", "application/x-ndjson");
        remote.token().headers().forEach(b::header);
        HttpResponse<Stream<String>> r =
            remote.http().send(b.build(), HttpResponse.BodyHandlers.ofLines());
        if (r.statusCode() == 404) {
          // a proxy that does not know the group (it was restarted): it needs it again
          r.body().close();
          onUnserved.accept(
              "the proxy does not know the group (HTTP 404 on its event stream)", asked);
          sleep();
          continue;
        }
        if (r.statusCode() != 200) {
          r.body().close();
          throw new IllegalStateException("HTTP " + r.statusCode());
        }
        warned = false;
        try (Stream<String> lines = r.body()) {
          lines
              .filter(l -> !l.isBlank())
              .forEach(
                  l -> {
                    if (closed) {
                      throw new IllegalStateException("closed");
                    }
                    parse(remote.json(), l).ifPresent(onEvent);
                  });
        }
      } catch (InterruptedException e) {
        return;
      } catch (java.io.IOException | java.io.UncheckedIOException e) {
        // no answer, or the stream broke: the proxy is down (or restarting)
        if (!closed) {
          onUnserved.accept("the proxy's event stream broke: " + e, asked);
        }
        if (!closed && !warned) {
          log.warn("event stream {} broke: {}; reconnecting", url, e.toString());
          warned = true;
        }
      } catch (Exception e) {
        if (!closed && !warned) {
          log.warn("event stream {} broke: {}; reconnecting", url, e.toString());
          warned = true;
        }
      }
      try {
        Thread.sleep(retry);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /**
   * The event a line of the stream is; empty for a type this build does not know (a newer proxy's
   * event), which is skipped. Members it does not know are skipped too.
   */
  public static Optional<ProxyEvent> parse(JsonMapper json, String line) {
    JsonNode node = json.readTree(line);
    Optional<ProxyEventType> type = ProxyEventType.ofSlug(node.path("type").asString());
    if (type.isEmpty()) {
      log.debug("skipped a proxy event of a type this coordinator does not know: {}", line);
      return Optional.empty();
    }
    return Optional.of(
        json.readerFor(type.get().record())
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .readValue(node));
  }

  private void sleep() {
    try {
      Thread.sleep(retry);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed = true;
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }
}
