package dev.coloha.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A few of the real services started together as processes on ephemeral loopback ports, under one
 * directory, for an integration test: replica agents, disk mirrors and packet proxies, each a
 * {@link ServiceProcess} (so a test can still kill, freeze and restart one), stopped together by
 * {@link #close}. The services are named; a test takes one by its name ({@link #agent}, {@link
 * #mirror}, {@link #proxy}). What every service of the cluster shares (a bearer token) is said
 * once.
 *
 * <pre>{@code
 * cluster = MiniCluster.under(Path.of("target", "it", "replication"))
 *     .token("s3cret")
 *     .agents("host-a", "host-b")
 *     .start();
 * ServiceProcess a = cluster.agent("host-a");
 * }</pre>
 *
 * For a whole test class, {@link Builder#perClass} as a JUnit extension starts it before the
 * class's {@code @BeforeAll} methods and closes it after its {@code @AfterAll} methods:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final MiniCluster.PerClass cluster =
 *     MiniCluster.inTempDir("mirror-client-contract").token(TOKEN).mirror("mirror").perClass();
 * }</pre>
 *
 * The services start one after the other in the order they were added; when one does not start,
 * those started already are stopped before the failure is thrown, so nothing outlives the test.
 * Each service's data and log lie under the cluster's directory (data in {@code <dir>/<name>}; an
 * agent's log in its data directory, the others' {@code <dir>/<name>.log}), which is emptied at the
 * start and kept afterwards for a look after a failure. There is no coordinator in it: the tests
 * that need the coordinator either run it in their own JVM or use the lab ({@code ./colo lab}, the
 * system tests).
 */
public final class MiniCluster implements AutoCloseable {
  private final Path dir;
  private final Map<String, ServiceProcess> agents;
  private final Map<String, ServiceProcess> mirrors;
  private final Map<String, ServiceProcess> proxies;
  private final List<ServiceProcess> started;

  private MiniCluster(
      Path dir,
      Map<String, ServiceProcess> agents,
      Map<String, ServiceProcess> mirrors,
      Map<String, ServiceProcess> proxies,
      List<ServiceProcess> started) {
    this.dir = dir;
    this.agents = agents;
    this.mirrors = mirrors;
    this.proxies = proxies;
    this.started = started;
  }

  /** A cluster whose services keep their data and logs under {@code dir} (emptied at the start). */
  public static Builder under(Path dir) {
    return new Builder(dir);
  }

  /** A cluster under a new temporary directory whose name begins with {@code prefix}. */
  public static Builder inTempDir(String prefix) {
    try {
      return new Builder(Files.createTempDirectory(prefix));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The directory the services' data and logs lie under. */
  public Path dir() {
    return dir;
  }

  /** The replica agent named {@code name}. */
  public ServiceProcess agent(String name) {
    return named(agents, "agent", name);
  }

  /** The disk mirror named {@code name}. */
  public ServiceProcess mirror(String name) {
    return named(mirrors, "mirror", name);
  }

  /** The packet proxy named {@code name}. */
  public ServiceProcess proxy(String name) {
    return named(proxies, "proxy", name);
  }

  /** The replica agents, in the order they were added. */
  public List<ServiceProcess> agents() {
    return List.copyOf(agents.values());
  }

  private static ServiceProcess named(Map<String, ServiceProcess> of, String kind, String name) {
    ServiceProcess p = of.get(name);
    if (p == null) {
      throw new NoSuchElementException(
          "no " + kind + " " + name + " in the cluster: " + of.keySet());
    }
    return p;
  }

  /** Stops every service of the cluster, the last started first. */
  @Override
  public void close() {
    stop(started);
  }

  private static void stop(List<ServiceProcess> started) {
    RuntimeException first = null;
    for (ServiceProcess p : started.reversed()) {
      try {
        p.close();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /**
   * A cluster started for a test class, registered with {@code @RegisterExtension} on a static
   * field: started before the class's {@code @BeforeAll} methods (a start that fails fails the
   * class), closed after its {@code @AfterAll} methods.
   */
  public static final class PerClass implements BeforeAllCallback, AfterAllCallback {
    private final Builder builder;
    private MiniCluster started;

    private PerClass(Builder builder) {
      this.builder = builder;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
      started = builder.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
      if (started != null) {
        started.close();
        started = null;
      }
    }

    /** The started cluster. */
    public MiniCluster started() {
      if (started == null) {
        throw new IllegalStateException("the cluster starts before the test class's @BeforeAll");
      }
      return started;
    }

    public ServiceProcess agent(String name) {
      return started().agent(name);
    }

    public ServiceProcess mirror(String name) {
      return started().mirror(name);
    }

    public ServiceProcess proxy(String name) {
      return started().proxy(name);
    }
  }

  /** What the cluster is made of; {@link #start} starts it. */
  public static final class Builder {
    private enum Kind {
      AGENT,
      MIRROR,
      PROXY
    }

    private record Service(Kind kind, String name, List<String> options) {}

    private final Path dir;
    private final List<String> shared = new ArrayList<>();
    private final List<Service> services = new ArrayList<>();

    private Builder(Path dir) {
      this.dir = dir;
    }

    /** Every service of the cluster takes requests with this bearer token only. */
    public Builder token(String token) {
      shared.add("--colo.security.token=" + token);
      return this;
    }

    /** Replica agents with these names and the cluster's options. */
    public Builder agents(String... names) {
      for (String name : names) {
        agent(name);
      }
      return this;
    }

    /** A replica agent named {@code name} with extra {@code --key=value} options. */
    public Builder agent(String name, String... options) {
      return add(Kind.AGENT, name, options);
    }

    /** A disk mirror named {@code name} with extra {@code --key=value} options. */
    public Builder mirror(String name, String... options) {
      return add(Kind.MIRROR, name, options);
    }

    /** A packet proxy named {@code name} with extra {@code --key=value} options. */
    public Builder proxy(String name, String... options) {
      return add(Kind.PROXY, name, options);
    }

    private Builder add(Kind kind, String name, String... options) {
      if (services.stream().anyMatch(s -> s.name().equals(name))) {
        throw new IllegalArgumentException("two services named " + name);
      }
      services.add(new Service(kind, name, List.of(options)));
      return this;
    }

    /** The cluster started for a whole test class: a JUnit extension ({@link PerClass}). */
    public PerClass perClass() {
      return new PerClass(this);
    }

    /**
     * Empties the directory and starts the services in the order they were added; returns once each
     * listens (agents) or is healthy (mirrors, proxies).
     */
    public MiniCluster start() {
      empty(dir);
      Map<String, ServiceProcess> agents = new LinkedHashMap<>();
      Map<String, ServiceProcess> mirrors = new LinkedHashMap<>();
      Map<String, ServiceProcess> proxies = new LinkedHashMap<>();
      List<ServiceProcess> started = new ArrayList<>();
      try {
        for (Service s : services) {
          List<String> all = new ArrayList<>(shared);
          all.addAll(s.options());
          String[] options = all.toArray(String[]::new);
          Path log = dir.resolve(s.name() + ".log");
          switch (s.kind()) {
            case AGENT -> {
              ServiceProcess p = ServiceProcess.agent(s.name(), dir.resolve(s.name()), options);
              started.add(p);
              agents.put(s.name(), p);
            }
            case MIRROR -> {
              ServiceProcess p = ServiceProcess.mirror(dir.resolve(s.name()), log, options);
              started.add(p);
              mirrors.put(s.name(), p);
            }
            case PROXY -> {
              ServiceProcess p = ServiceProcess.proxy(log, options);
              started.add(p);
              proxies.put(s.name(), p);
            }
          }
        }
      } catch (RuntimeException e) {
        try {
          stop(started);
        } catch (RuntimeException stopping) {
          e.addSuppressed(stopping);
        }
        throw e;
      }
      return new MiniCluster(dir, agents, mirrors, proxies, started);
    }

    private static void empty(Path dir) {
      try {
        if (Files.exists(dir)) {
          Files.walkFileTree(
              dir,
              new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                    throws IOException {
                  Files.delete(file);
                  return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e)
                    throws IOException {
                  if (e != null) {
                    throw e;
                  }
                  if (!d.equals(dir)) {
                    Files.delete(d);
                  }
                  return FileVisitResult.CONTINUE;
                }
              });
        }
        Files.createDirectories(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
