package dev.coloha.proxy.testing;

import dev.coloha.proxy.config.ProxyProperties;
import dev.coloha.proxy.group.Groups;
import dev.coloha.proxy.group.ReplicaRef;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The real proxy's groups against a {@link FakeAgent} on loopback, without Spring, for the unit
 * tests of a group's commands; {@link #close()} ends every client, group and the agent it made.
 */
public final class GroupRig implements AutoCloseable {
  public final FakeAgent agent;
  private final List<Socket> clients = new ArrayList<>();
  private Groups groups;

  public GroupRig() throws IOException {
    this.agent = new FakeAgent();
  }

  /** {@code colo.proxy.*} as {@code settings} set it (full names), the rest at their defaults. */
  public static ProxyProperties props(Map<String, String> settings) {
    return new Binder(new MapConfigurationPropertySource(settings))
        .bindOrCreate("colo.proxy", Bindable.of(ProxyProperties.class));
  }

  /** The proxy's groups with {@code settings}. */
  public Groups groups(Map<String, String> settings) {
    groups = new Groups(props(settings).toSettings(), new SimpleMeterRegistry(), Map.of());
    return groups;
  }

  /** VM {@code vm} on the fake agent. */
  public ReplicaRef replica(String vm) {
    return new ReplicaRef(agent.url(), vm);
  }

  /** A client connected to a group's port. */
  public Socket client(int port) throws IOException {
    Socket c = new Socket("127.0.0.1", port);
    clients.add(c);
    return c;
  }

  /** The next {@code n} bytes {@code client} reads (30 s at most). */
  public static String read(Socket client, int n) throws IOException {
    client.setSoTimeout(30_000);
    InputStream in = client.getInputStream();
    return new String(in.readNBytes(n), StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws Exception {
    for (Socket c : clients) {
      c.close();
    }
    if (groups != null) {
      groups.close();
    }
    agent.close();
  }
}
