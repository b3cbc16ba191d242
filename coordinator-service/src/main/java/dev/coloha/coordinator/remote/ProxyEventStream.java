package dev.coloha.coordinator.remote;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.type.TypeReference;

/**
 * Follows a group's event stream at the proxy ({@code GET /v1/groups/{id}/events}, one JSON event
 * per line): mismatches, pressure, broken replica streams. Reconnects when the stream ends.
 */
public final class ProxyEventStream implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProxyEventStream.class);
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final Remote remote;
  private final String url;
  private final Consumer<Map<String, Object>> onEvent;
  private final Duration retry;
  private volatile boolean closed;
  private volatile Thread thread;

  public ProxyEventStream(
      Remote remote,
      String proxyUrl,
      String group,
      Consumer<Map<String, Object>> onEvent,
      Duration retry) {
    this.remote = remote;
    this.url = proxyUrl + "/v1/groups/" + group + "/events";
    this.onEvent = onEvent;
    this.retry = retry;
  }

  public ProxyEventStream start() {
    thread = Thread.ofVirtual().name("proxy-events").start(this::follow);
    return this;
  }

  private void follow() {
    boolean warned = false;
    while (!closed) {
      try {
        HttpRequest.Builder b =
            HttpRequest.newBuilder(URI.create(url)).header("Accept", "application/x-ndjson");
        remote.token().headers().forEach(b::header);
        HttpResponse<Stream<String>> r =
            remote.http().send(b.build(), HttpResponse.BodyHandlers.ofLines());
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
                    onEvent.accept(remote.json().readValue(l, MAP));
                  });
        }
      } catch (InterruptedException e) {
        return;
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

  @Override
  public void close() {
    closed = true;
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }
}
