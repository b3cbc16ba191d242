package dev.coloha.agent.disk;

import static dev.coloha.testkit.Http.ok;

import dev.coloha.mirror.DiskMirrorApplication;
import dev.coloha.testkit.Http;
import java.net.URI;
import java.nio.file.Path;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

/** A real disk mirror in the test JVM, on an ephemeral loopback port. */
final class Mirror implements AutoCloseable {
  private final ConfigurableApplicationContext context;
  private final Path socket;
  private final int port;

  private Mirror(ConfigurableApplicationContext context, Path socket) {
    this.context = context;
    this.socket = socket;
    this.port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
  }

  static Mirror start(String name, Path data) {
    return start(name, data, 0);
  }

  /**
   * Starts a mirror on {@code port} (0: a free one), with its I/O streams also on the Unix-domain
   * socket {@code <data>/io.sock}.
   */
  static Mirror start(String name, Path data, int port) {
    Path socket = data.resolve("io.sock");
    return new Mirror(
        new SpringApplicationBuilder(DiskMirrorApplication.class)
            .run(
                "--server.port=" + port,
                "--server.address=127.0.0.1",
                "--spring.application.name=" + name,
                "--spring.main.banner-mode=off",
                "--spring.jmx.enabled=false",
                // the agent's application.yml is on this classpath too: its readiness group names
                // the agent's own guests contributor, which a mirror does not have
                "--management.endpoint.health.group.readiness.include=readinessState,dataDirectory",
                "--colo.mirror.data-dir=" + data,
                "--colo.mirror.flush-policy=OS",
                "--colo.mirror.replication.heartbeat-interval=100ms",
                "--colo.mirror.replication.reconnect-backoff=50ms",
                "--colo.mirror.io.unix-socket=" + socket),
        socket);
  }

  int port() {
    return port;
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** The local transport: the mirror's Unix-domain socket. */
  URI socketUri() {
    return URI.create("unix:" + socket.toAbsolutePath());
  }

  Http api() {
    return new Http(uri().toString());
  }

  /** GET, expecting 2xx. */
  JsonNode get(String path) {
    return ok(api().get(path));
  }

  /** POST of JSON, expecting 2xx. */
  JsonNode post(String path, String json) {
    return ok(api().post(path, json));
  }

  @Override
  public void close() {
    context.close();
  }
}
