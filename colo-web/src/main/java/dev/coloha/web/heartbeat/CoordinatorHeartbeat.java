package dev.coloha.web.heartbeat;

import dev.coloha.web.security.ServiceToken;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import tools.jackson.databind.json.JsonMapper;

/**
 * Tells the coordinator, as soon as the service serves and then every heartbeat interval, that this
 * service lives and where it is ({@code POST /v1/hosts/{host}/heartbeat}). Missing beats are how
 * the coordinator notices a dead host (it probes too). Without a coordinator URL it never beats.
 */
public final class CoordinatorHeartbeat
    implements ApplicationListener<WebServerInitializedEvent>, SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(CoordinatorHeartbeat.class);

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final HeartbeatProperties props;
  private final ServiceToken token;
  private final HeartbeatFacts facts;
  private final HeartbeatGate gate;
  private final HttpClient client;
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile String advertise;
  private volatile boolean failing;
  private Thread thread;

  public CoordinatorHeartbeat(HeartbeatProperties props, ServiceToken token) {
    this(props, token, Map.of());
  }

  /**
   * @param facts what the service advertises with every beat besides its role and URL (an agent:
   *     its largest VM memory and disk)
   */
  public CoordinatorHeartbeat(
      HeartbeatProperties props, ServiceToken token, Map<String, Object> facts) {
    this(props, token, copy(facts), () -> {});
  }

  private static HeartbeatFacts copy(Map<String, Object> facts) {
    Map<String, Object> copy = Map.copyOf(facts);
    return () -> copy;
  }

  /**
   * @param facts what the service advertises with every beat besides its role and URL, asked at
   *     each beat
   * @param gate what the first beat waits for (a standby proxy: until it is the active one)
   */
  public CoordinatorHeartbeat(
      HeartbeatProperties props, ServiceToken token, HeartbeatFacts facts, HeartbeatGate gate) {
    this.props = props;
    this.token = token;
    this.facts = facts;
    this.gate = gate;
    // no client (and no selector thread of its own) for a service that never beats
    this.client =
        enabled() ? HttpClient.newBuilder().connectTimeout(props.timeout()).build() : null;
  }

  @Override
  public void onApplicationEvent(WebServerInitializedEvent event) {
    advertise = props.advertisedUrl(event.getWebServer().getPort());
  }

  /**
   * Whether it beats at all: only with a coordinator URL ({@code colo.heartbeat.coordinator-url}).
   */
  public boolean enabled() {
    return props.coordinatorUrl() != null && !props.coordinatorUrl().isBlank();
  }

  @Override
  public void start() {
    if (enabled() && running.compareAndSet(false, true)) {
      thread = Thread.ofVirtual().name("heartbeat").start(this::beat);
    }
  }

  @Override
  public void stop() {
    running.set(false);
    if (thread != null) {
      thread.interrupt();
    }
  }

  @Override
  public boolean isRunning() {
    return running.get();
  }

  private byte[] body() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("role", props.role());
    body.put("url", advertise);
    body.putAll(facts.facts());
    return JSON.writeValueAsBytes(body);
  }

  private void beat() {
    String base =
        props.coordinatorUrl().endsWith("/")
            ? props.coordinatorUrl().substring(0, props.coordinatorUrl().length() - 1)
            : props.coordinatorUrl();
    try {
      gate.awaitOpen();
    } catch (InterruptedException e) {
      return;
    }
    boolean first = true;
    while (running.get()) {
      try {
        // the first beat goes out at once: a restarted service registers (and a restarted proxy
        // gets its groups back) as soon as it serves, not an interval later
        if (!first) {
          Thread.sleep(props.interval());
        }
        first = false;
        if (advertise == null) {
          continue;
        }
        HttpRequest.Builder b =
            HttpRequest.newBuilder(URI.create(base + "/v1/hosts/" + props.host() + "/heartbeat"))
                .timeout(props.timeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body()));
        token.headers().forEach(b::header);
        HttpResponse<Void> r = client.send(b.build(), HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() >= 300) {
          throw new IllegalStateException("HTTP " + r.statusCode());
        }
        if (failing) {
          log.info("heartbeats to the coordinator at {} flow again", base);
          failing = false;
        }
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (!failing) {
          log.warn("heartbeat to the coordinator at {} failed: {}", base, e.toString());
          failing = true;
        }
      }
    }
  }
}
