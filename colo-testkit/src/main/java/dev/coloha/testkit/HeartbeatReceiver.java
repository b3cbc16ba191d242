package dev.coloha.testkit;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The coordinator's heartbeat endpoint and nothing else, on an ephemeral loopback port: every
 * {@code POST /v1/hosts/{host}/heartbeat} a service sends is answered 204 and kept as one line,
 * {@code "<path> <body> <Authorization header>"}, for the test to take in order ({@link #next}).
 */
public final class HeartbeatReceiver implements AutoCloseable {
  private final BlockingQueue<String> beats = new LinkedBlockingQueue<>();
  private final HttpServer server;

  private HeartbeatReceiver(HttpServer server) {
    this.server = server;
  }

  /** Starts one on a free loopback port. */
  public static HeartbeatReceiver start() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      HeartbeatReceiver receiver = new HeartbeatReceiver(server);
      server.createContext(
          "/v1/hosts/",
          exchange -> {
            receiver.beats.add(
                exchange.getRequestURI().getPath()
                    + " "
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)
                    + " "
                    + exchange.getRequestHeaders().getFirst("Authorization"));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
          });
      server.start();
      return receiver;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The coordinator URL to give a service, {@code http://127.0.0.1:<port>}. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The next beat received, waiting up to {@code within}; null if none came. */
  public String next(Duration within) throws InterruptedException {
    return beats.poll(within.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
