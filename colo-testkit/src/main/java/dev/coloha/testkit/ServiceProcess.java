package dev.coloha.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * One of the real services (its executable jar, {@code <module>/target/<module>-*-exec.jar}) as a
 * process of its own on loopback, so that a test can crash it ({@link #kill}: SIGKILL, no shutdown
 * hook, no flush), freeze it ({@link #freeze}: SIGSTOP, a hung host) and {@link #restart} it on the
 * same port and data directory. The first start takes an ephemeral port (unless the options name
 * one) and reads it from the service's log. The jar is looked up in {@code ../<module>/target}, so
 * any module's integration tests can run it once that module is packaged earlier in the reactor.
 * {@link #close} ends the process.
 */
public final class ServiceProcess implements AutoCloseable {
  private static final Pattern PORT = Pattern.compile("Tomcat started on port (\\d+)");

  /**
   * The system property that sets how long a service may take to start (to log its port, then to be
   * healthy), in whole seconds: {@code -Dcolo.test.service-start-timeout=360} on the Maven command
   * line for a machine under a heavy load.
   */
  public static final String START_TIMEOUT_PROPERTY = "colo.test.service-start-timeout";

  /**
   * 240 s: a JVM service starts in a few seconds on an idle machine, but takes minutes when the
   * machine's load is some 60 (a CI host running other builds); 120 s was too short there.
   */
  public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(240);

  private final String name;
  private final String module;
  private final List<String> jvmOptions;
  private final List<String> baseOptions;
  private final Path log;
  private final boolean awaitHealthy;
  private int port;
  private Process process;
  private volatile boolean frozen;

  private ServiceProcess(
      String name,
      String module,
      List<String> jvmOptions,
      List<String> baseOptions,
      Path log,
      boolean awaitHealthy) {
    this.name = name;
    this.module = module;
    this.jvmOptions = jvmOptions;
    this.baseOptions = baseOptions;
    this.log = log;
    this.awaitHealthy = awaitHealthy;
  }

  /**
   * A replica agent named {@code name} with its data (and its log, {@code <name>.log}) under {@code
   * dataDir} and extra {@code --key=value} options; returns once its web server listens.
   */
  public static ServiceProcess agent(String name, Path dataDir, String... options) {
    try {
      Files.createDirectories(dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ServiceProcess p =
        new ServiceProcess(
            name,
            "replica-agent",
            List.of("-Xss16m", "-Xmx1g", "-XX:+UseParallelGC"),
            List.of(
                "--server.address=127.0.0.1",
                "--colo.agent.name=" + name,
                "--colo.agent.data-dir=" + dataDir),
            dataDir.resolve(name + ".log"),
            false);
    p.launch(options);
    return p;
  }

  /**
   * A disk mirror on {@code data}, logging to {@code log}, with extra {@code --key=value} options;
   * returns once its health endpoint answers 200.
   */
  public static ServiceProcess mirror(Path data, Path log, String... options) {
    ServiceProcess p =
        new ServiceProcess(
            data.getFileName().toString(),
            "disk-mirror",
            List.of("-XX:TieredStopAtLevel=1", "-Xshare:auto"),
            List.of(
                "--server.address=127.0.0.1",
                "--colo.mirror.data-dir=" + data.toAbsolutePath(),
                "--spring.main.banner-mode=off"),
            log,
            true);
    p.launch(options);
    return p;
  }

  /**
   * A packet proxy logging to {@code log}, with extra {@code --key=value} options; returns once its
   * health endpoint answers 200.
   */
  public static ServiceProcess proxy(Path log, String... options) {
    return proxy(log, List.of("-XX:TieredStopAtLevel=1", "-Xshare:auto"), options);
  }

  /**
   * A packet proxy logging to {@code log}, started with these JVM options (e.g. {@code
   * -Dspring.aot.enabled=true}, as the lab and the image start it) and extra {@code --key=value}
   * options; returns once its health endpoint answers 200.
   */
  public static ServiceProcess proxy(Path log, List<String> jvmOptions, String... options) {
    List<String> jvm = new ArrayList<>(List.of("-Xss16m", "-XX:+UseParallelGC"));
    jvm.addAll(jvmOptions);
    ServiceProcess p =
        new ServiceProcess(
            log.getFileName().toString(),
            "packet-proxy",
            List.copyOf(jvm),
            List.of("--server.address=127.0.0.1", "--spring.main.banner-mode=off"),
            log,
            true);
    p.launch(options);
    return p;
  }

  /** The executable jar of {@code module}, built by {@code package} earlier in the reactor. */
  public static Path execJar(String module) {
    File[] jars =
        Path.of("..", module, "target")
            .toFile()
            .listFiles((d, n) -> n.startsWith(module + "-") && n.endsWith("-exec.jar"));
    if (jars == null || jars.length == 0) {
      throw new IllegalStateException(
          module
              + " exec jar missing: run this as an integration test (mvn verify), with "
              + module
              + " in the reactor");
    }
    return jars[0].toPath().toAbsolutePath().normalize();
  }

  /**
   * Starts the service again (after {@link #kill} or a fault point that halted it) on the same port
   * and data directory, with these extra options instead of the last ones.
   */
  public void restart(String... options) {
    if (alive()) {
      throw new IllegalStateException(name + " is still running");
    }
    launch(options);
  }

  private void launch(String... options) {
    // read before the process starts: a wrong setting leaves no process behind
    Duration startTimeout = startTimeout(System.getProperty(START_TIMEOUT_PROPERTY));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-jar");
    cmd.add(execJar(module).toString());
    if (Arrays.stream(options).noneMatch(o -> o.startsWith("--server.port="))) {
      cmd.add("--server.port=" + port); // 0 at first: an ephemeral port
    }
    cmd.addAll(baseOptions);
    cmd.addAll(List.of(options));
    long logFrom;
    try {
      if (process == null) {
        Files.createDirectories(log.toAbsolutePath().getParent());
        Files.deleteIfExists(log); // this run's log only
      }
      logFrom = Files.exists(log) ? Files.size(log) : 0;
      process =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    frozen = false;
    Process p = process;
    try {
      Awaitility.await(module + " " + name + " starts")
          .atMost(startTimeout)
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                if (!p.isAlive()) {
                  throw new IllegalStateException(module + " " + name + " exited: " + log());
                }
                Matcher m = PORT.matcher(logSince(logFrom));
                if (m.find()) {
                  port = Integer.parseInt(m.group(1));
                  return true;
                }
                return false;
              });
      if (awaitHealthy) {
        Http api = api();
        Awaitility.await(module + " " + name + " is healthy")
            .atMost(startTimeout)
            .pollInterval(Duration.ofMillis(200))
            .ignoreExceptions()
            .until(
                () -> {
                  if (!p.isAlive()) {
                    throw new IllegalStateException(module + " " + name + " exited; see " + log);
                  }
                  return api.get("/actuator/health").status() == 200;
                });
      }
    } catch (RuntimeException e) {
      // one that did not start in time is not left behind: it would go on running, and beating
      // to whatever listens on the port, after the test's JVM has gone
      p.destroyForcibly();
      throw e;
    }
  }

  /**
   * The start timeout {@code configured} says ({@link #START_TIMEOUT_PROPERTY}, whole seconds above
   * 0), {@link #DEFAULT_START_TIMEOUT} when it says none.
   */
  static Duration startTimeout(String configured) {
    if (configured == null || configured.isBlank()) {
      return DEFAULT_START_TIMEOUT;
    }
    try {
      long seconds = Long.parseLong(configured.strip());
      if (seconds > 0) {
        return Duration.ofSeconds(seconds);
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new IllegalArgumentException(
        START_TIMEOUT_PROPERTY + " is a whole number of seconds above 0, not '" + configured + "'");
  }

  private String logSince(long offset) throws IOException {
    byte[] all = Files.readAllBytes(log);
    int from = (int) Math.min(offset, all.length);
    return new String(all, from, all.length - from, StandardCharsets.UTF_8);
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public Http api() {
    return new Http(url());
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  /** The service's log (every start of this process object), or a note why there is none. */
  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** SIGKILL ({@code kill -9}), as a host crash; returns once the process is gone. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGSTOP / SIGCONT: the service is there but does nothing (a hung host). */
  public void freeze(boolean frozen) {
    Command.signal(frozen ? "STOP" : "CONT", pid());
    this.frozen = frozen;
  }

  /** Waits for a process that halts itself (a fault point) to be gone. */
  public void awaitDeath() {
    Awaitility.await(module + " " + name + " halts")
        .atMost(Duration.ofSeconds(60))
        .until(() -> !process.isAlive());
  }

  /** SIGTERM (after SIGCONT if frozen), SIGKILL if it is not gone within 20 s. */
  @Override
  public void close() {
    if (process == null || !process.isAlive()) {
      return;
    }
    if (frozen) {
      Command.run(Duration.ofSeconds(10), "kill", "-CONT", Long.toString(pid()));
    }
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  @Override
  public String toString() {
    return module + " " + name + " (" + url() + ")";
  }
}
