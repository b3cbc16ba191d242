package dev.coloha.proxy.testing;

import dev.coloha.testkit.Http;
import dev.coloha.wire.http.HttpStream;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The test acting as the coordinator: it reads the proxy's event stream and answers every
 * checkpoint request (mismatch, pressure) with a checkpoint on the primary's agent and a commit at
 * the proxy. Requests that arrive while a checkpoint runs are served by the next one.
 */
public final class TestCoordinator implements AutoCloseable {
  private final String proxy;
  private final String group;
  private final String primaryAgent;
  private final String vm;
  private final long epoch;
  private final Object lock = new Object();
  private final AtomicLong checkpoints = new AtomicLong();
  private final AtomicLong requests = new AtomicLong();
  private volatile boolean requested;
  private volatile boolean closed;
  private volatile HttpStream events;
  private volatile String failure;

  public TestCoordinator(String proxy, String group, String primaryAgent, String vm, long epoch) {
    this.proxy = proxy;
    this.group = group;
    this.primaryAgent = primaryAgent;
    this.vm = vm;
    this.epoch = epoch;
    Thread.ofVirtual().name("coordinator-events").start(this::readEvents);
    Thread.ofVirtual().name("coordinator-checkpoints").start(this::checkpointLoop);
  }

  private void readEvents() {
    try (HttpStream s =
        HttpStream.open(
            "GET",
            URI.create(proxy + "/v1/groups/" + group + "/events"),
            Map.of(),
            Duration.ofSeconds(5),
            Duration.ofSeconds(60))) {
      events = s;
      BufferedReader in =
          new BufferedReader(new InputStreamReader(s.response(), StandardCharsets.UTF_8));
      for (String line = in.readLine(); line != null && !closed; line = in.readLine()) {
        if (line.contains("\"checkpointRequested\":true")) {
          requests.incrementAndGet();
          synchronized (lock) {
            requested = true;
            lock.notifyAll();
          }
        }
      }
    } catch (Exception e) {
      if (!closed) {
        failure = "event stream: " + e;
      }
    }
  }

  private void checkpointLoop() {
    while (!closed) {
      synchronized (lock) {
        while (!requested && !closed) {
          try {
            lock.wait(200);
          } catch (InterruptedException e) {
            return;
          }
        }
        requested = false;
      }
      if (closed) {
        return;
      }
      try {
        checkpoint();
      } catch (RuntimeException | AssertionError e) {
        if (!closed) {
          failure = "checkpoint: " + e;
        }
      }
    }
  }

  /** Takes a checkpoint on the primary and commits it at the proxy; returns the commit's answer. */
  public JsonNode checkpoint() {
    Http.Reply ck =
        new Http(primaryAgent).post("/v1/vms/" + vm + "/checkpoint", "{\"epoch\":" + epoch + "}");
    if (ck.status() != 200) {
      throw new AssertionError("checkpoint: HTTP " + ck.status() + " " + ck.body());
    }
    JsonNode r = ck.json();
    ObjectNode commit = (ObjectNode) r.deepCopy();
    ObjectNode body = commit.objectNode();
    body.put("epoch", epoch);
    body.put("sequence", r.get("sequence").asLong());
    body.set("outputOffsets", r.get("outputOffsets"));
    body.set("inputOffsets", r.get("inputOffsets"));
    body.set("closedConnections", r.get("closedConnections"));
    Http.Reply c = new Http(proxy).post("/v1/groups/" + group + "/commits", body.toString());
    if (c.status() != 200) {
      throw new AssertionError("commit: HTTP " + c.status() + " " + c.body());
    }
    checkpoints.incrementAndGet();
    return c.json();
  }

  public long checkpoints() {
    return checkpoints.get();
  }

  public long requests() {
    return requests.get();
  }

  /** Why the coordinator failed, or null. */
  public String failure() {
    return failure;
  }

  @Override
  public void close() {
    closed = true;
    synchronized (lock) {
      lock.notifyAll();
    }
    HttpStream s = events;
    if (s != null) {
      s.close();
    }
  }
}
