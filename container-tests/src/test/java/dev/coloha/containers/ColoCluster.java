package dev.coloha.containers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.lifecycle.Startables;

/**
 * The COLO HA services from their images on one Docker network, as the compose lab wires them: a
 * coordinator, {@code hosts} hosts (replica agent + disk mirror each, named host-N), and a proxy
 * that serves groups on container port {@link #KV_PORT}, published on a free host port. Container
 * logs go to {@code target/container-logs/<test>/}.
 */
final class ColoCluster implements AutoCloseable {
  static final int KV_PORT = 6379;
  static final String TOKEN = "container-test-token";
  private static final Duration STARTUP = Duration.ofMinutes(6);

  /** JVM options of the services in the tests: small heaps, one GC thread. */
  static final String JAVA_OPTS = "-Xmx384m -XX:+UseSerialGC";

  private final Network network = Network.newNetwork();
  private final Map<String, GenericContainer<?>> containers = new LinkedHashMap<>();
  private final Path logs;
  final ColoApi api = new ColoApi(TOKEN);

  ColoCluster(String testName, int hosts) {
    this.logs = Path.of("target", "container-logs", testName);
    containers.put(
        "coordinator",
        service("coordinator", "coordinator-service", 7700)
            .withEnv("COLO_COORDINATOR_DATA_DIR", "/var/lib/colo/coordinator")
            // creating a VM compiles its guest: more than the 5 s default on a busy machine
            .withEnv("COLO_COORDINATOR_CALL_TIMEOUT", "30s"));
    for (int i = 1; i <= hosts; i++) {
      String host = "host-" + i;
      containers.put(
          host + "-agent",
          service(host + "-agent", "replica-agent", 7701)
              .withEnv("COLO_AGENT_NAME", host)
              .withEnv("COLO_AGENT_DATA_DIR", "/var/lib/colo/agent")
              .withEnv(heartbeat(host, "agent", "http://" + host + "-agent:7701")));
      containers.put(
          host + "-mirror",
          service(host + "-mirror", "disk-mirror", 7702)
              .withEnv("COLO_MIRROR_DATA_DIR", "/var/lib/colo/mirror")
              .withEnv(heartbeat(host, "mirror", "http://" + host + "-mirror:7702")));
    }
    GenericContainer<?> proxy =
        service("proxy", "packet-proxy", 7703)
            .withEnv(heartbeat("proxy-1", "proxy", "http://proxy:7703"));
    proxy.addExposedPort(KV_PORT);
    containers.put("proxy", proxy);
  }

  private static Map<String, String> heartbeat(String host, String role, String advertise) {
    return Map.of(
        "COLO_HEARTBEAT_COORDINATOR_URL", "http://coordinator:7700",
        "COLO_HEARTBEAT_HOST", host,
        "COLO_HEARTBEAT_ROLE", role,
        "COLO_HEARTBEAT_ADVERTISE_URL", advertise);
  }

  private GenericContainer<?> service(String alias, String module, int port) {
    return new GenericContainer<>(Docker.Images.of(module))
        .withNetwork(network)
        .withNetworkAliases(alias)
        .withEnv("COLO_SECURITY_TOKEN", TOKEN)
        .withEnv("JAVA_TOOL_OPTIONS", JAVA_OPTS)
        .withExposedPorts(port)
        .withLogConsumer(toFile(alias))
        .waitingFor(
            Wait.forHttp("/actuator/health/readiness")
                .forPort(port)
                .forStatusCode(200)
                .withStartupTimeout(STARTUP));
  }

  private Consumer<OutputFrame> toFile(String alias) {
    Path file = logs.resolve(alias + ".log");
    try {
      Files.createDirectories(logs);
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return frame -> {
      try {
        Files.writeString(
            file,
            frame.getUtf8String(),
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        // a lost log line must not fail the test
      }
    };
  }

  /** Starts the coordinator, then every other service at once; returns when all are ready. */
  ColoCluster start() {
    containers.get("coordinator").start();
    List<GenericContainer<?>> rest = new ArrayList<>(containers.values());
    rest.remove(containers.get("coordinator"));
    Startables.deepStart(rest).join();
    return this;
  }

  GenericContainer<?> container(String name) {
    GenericContainer<?> c = containers.get(name);
    if (c == null) {
      throw new IllegalArgumentException("no container " + name);
    }
    return c;
  }

  Map<String, GenericContainer<?>> containers() {
    return containers;
  }

  /** Base URL of a service's HTTP API on the mapped port, e.g. {@code http://localhost:32771}. */
  String url(String name) {
    GenericContainer<?> c = container(name);
    return "http://" + c.getHost() + ":" + c.getMappedPort(c.getExposedPorts().getFirst());
  }

  String coordinatorUrl() {
    return url("coordinator");
  }

  /** The host port the proxy's group port is published on. */
  int kvPort() {
    return container("proxy").getMappedPort(KV_PORT);
  }

  /** Kills (SIGKILL) the agent and the mirror of one host, like a machine that dies. */
  void killHost(String host) {
    var docker = DockerClientFactory.instance().client();
    for (String role : List.of("-agent", "-mirror")) {
      docker.killContainerCmd(container(host + role).getContainerId()).exec();
    }
  }

  @Override
  public void close() {
    for (GenericContainer<?> c : containers.values()) {
      try {
        c.stop();
      } catch (RuntimeException e) {
        // already gone (killed by the test)
      }
    }
    network.close();
  }
}
