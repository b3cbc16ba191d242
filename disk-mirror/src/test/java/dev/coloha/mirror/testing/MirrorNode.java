package dev.coloha.mirror.testing;

import dev.coloha.mirror.DiskMirrorApplication;
import dev.coloha.testkit.Http;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A disk mirror in this JVM (its own Spring context on an ephemeral loopback port) that a test can
 * stop and start again on the same port and data directory.
 */
public final class MirrorNode implements AutoCloseable {
  private final Path data;
  private final String[] extra;
  private ConfigurableApplicationContext context;
  private int port;

  private MirrorNode(Path data, String... extra) {
    this.data = data;
    this.extra = extra;
  }

  public static MirrorNode start(Path data, String... extra) {
    MirrorNode n = new MirrorNode(data, extra);
    n.run(0);
    return n;
  }

  private void run(int onPort) {
    List<String> args = new ArrayList<>();
    args.add("--server.port=" + onPort);
    args.add("--server.address=127.0.0.1");
    args.add("--colo.mirror.data-dir=" + data);
    args.add("--spring.main.banner-mode=off");
    args.add("--spring.jmx.enabled=false");
    args.addAll(List.of(extra));
    context =
        new SpringApplicationBuilder(DiskMirrorApplication.class).run(args.toArray(String[]::new));
    port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
  }

  public int port() {
    return port;
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public Http api() {
    return new Http(url());
  }

  /** Stops the mirror (its volumes close; the primary's mirror will reconnect). */
  public void stop() {
    if (context != null) {
      context.close();
      context = null;
    }
  }

  /** Starts it again on the same port with the same data. */
  public void restart() {
    stop();
    run(port);
  }

  @Override
  public void close() {
    stop();
  }
}
