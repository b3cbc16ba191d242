package dev.coloha.proxy.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import dev.coloha.wire.io.IoFrame;
import dev.coloha.wire.io.IoFrameCodec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A replica agent on loopback as far as the proxy sees one: each VM's output stream ({@code GET
 * .../output}) carries the frames the test queues (and heartbeats), its input stream ({@code POST
 * .../input}) is read and its OPEN frames recorded, and {@code POST .../checkpoint} is recorded and
 * answered as the test says.
 */
public final class FakeAgent implements AutoCloseable {
  /** A recorded checkpoint call. */
  public record Call(String vm, String authorization, String body) {}

  /** What the agent answers to a checkpoint call. */
  public record Answer(int status, String contentType, String body) {}

  private final HttpServer server;
  private final Map<String, BlockingQueue<IoFrame>> outputs = new ConcurrentHashMap<>();
  private final Map<String, Set<Integer>> opened = new ConcurrentHashMap<>();
  private final List<Call> checkpoints = new CopyOnWriteArrayList<>();
  private volatile Function<Call, Answer> onCheckpoint =
      c -> new Answer(500, "text/plain", "no answer set");
  private volatile boolean closed;
  private final Map<String, java.util.concurrent.CountDownLatch> heldOutputs =
      new ConcurrentHashMap<>();

  public FakeAgent() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/v1/vms/", this::handle);
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Queues a frame on {@code vm}'s output stream. */
  public void output(String vm, IoFrame f) {
    queue(vm).add(f);
  }

  /**
   * Holds the next subscription to {@code vm}'s output before its first byte (headers included), as
   * an agent does that has not taken the subscription yet; the returned action lets it go on.
   */
  public Runnable holdOutput(String vm) {
    java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    heldOutputs.put(vm, held);
    return held::countDown;
  }

  /** The connections {@code vm}'s input stream opened. */
  public Set<Integer> opened(String vm) {
    return opened.computeIfAbsent(vm, k -> ConcurrentHashMap.newKeySet());
  }

  public List<Call> checkpoints() {
    return List.copyOf(checkpoints);
  }

  public void onCheckpoint(Function<Call, Answer> answer) {
    this.onCheckpoint = answer;
  }

  private BlockingQueue<IoFrame> queue(String vm) {
    return outputs.computeIfAbsent(vm, k -> new LinkedBlockingQueue<>());
  }

  private void handle(HttpExchange x) throws IOException {
    String[] path = x.getRequestURI().getPath().split("/"); // "", v1, vms, {vm}, {what}
    String vm = path[3];
    String what = path.length > 4 ? path[4] : "";
    try (x) {
      switch (what) {
        case "output" -> output(x, vm);
        case "input" -> input(x, vm);
        case "checkpoint" -> checkpoint(x, vm);
        default -> x.sendResponseHeaders(404, -1);
      }
    }
  }

  private void output(HttpExchange x, String vm) throws IOException {
    java.util.concurrent.CountDownLatch held = heldOutputs.remove(vm);
    if (held != null) {
      try {
        held.await();
      } catch (InterruptedException e) {
        return;
      }
    }
    x.getResponseHeaders().set("Content-Type", "application/octet-stream");
    x.sendResponseHeaders(200, 0);
    OutputStream body = x.getResponseBody();
    FrameOutput out = new FrameOutput(body);
    IoFrameCodec codec = new IoFrameCodec();
    BlockingQueue<IoFrame> q = queue(vm);
    while (!closed) {
      IoFrame f;
      try {
        f = q.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      codec.write(f == null ? new IoFrame.Heartbeat(0, 0) : f, out);
      out.flush();
    }
  }

  private void input(HttpExchange x, String vm) throws IOException {
    FrameInput in = new FrameInput(x.getRequestBody(), 1 << 20);
    IoFrameCodec codec = new IoFrameCodec();
    for (IoFrame f = codec.read(in); f != null && !closed; f = codec.read(in)) {
      if (f instanceof IoFrame.Open o) {
        opened(vm).add(o.conn());
      }
    }
    x.sendResponseHeaders(200, -1);
  }

  private void checkpoint(HttpExchange x, String vm) throws IOException {
    String body;
    try (InputStream in = x.getRequestBody()) {
      body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Call c = new Call(vm, x.getRequestHeaders().getFirst("Authorization"), body);
    checkpoints.add(c);
    Answer a = onCheckpoint.apply(c);
    byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", a.contentType());
    x.sendResponseHeaders(a.status(), bytes.length);
    x.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    closed = true;
    server.stop(0);
  }
}
