package dev.coloha.proxy.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/**
 * A replica agent as a real process (the exec jar that replica-agent's {@code package} built
 * earlier in the same reactor), on an ephemeral loopback port, so that tests can kill it.
 */
public final class AgentProcess implements AutoCloseable {
  private static final Pattern PORT = Pattern.compile("Tomcat started on port (\\d+)");

  private final Process process;
  private final Path log;
  private final int port;

  private AgentProcess(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  public static Path jar() {
    File[] jars =
        Path.of("..", "replica-agent", "target")
            .toFile()
            .listFiles((d, n) -> n.startsWith("replica-agent-") && n.endsWith("-exec.jar"));
    if (jars == null || jars.length == 0) {
      throw new IllegalStateException(
          "replica-agent exec jar missing: build replica-agent first (mvn verify -pl"
              + " replica-agent,packet-proxy)");
    }
    return jars[0].toPath().toAbsolutePath();
  }

  /** Starts an agent with its data under {@code dataDir} and extra {@code --key=value} options. */
  public static AgentProcess start(String name, Path dataDir, String... options) {
    try {
      Files.createDirectories(dataDir);
      Path log = dataDir.resolve(name + ".log");
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-Xss16m");
      cmd.add("-Xmx512m");
      cmd.add("-XX:+UseSerialGC");
      cmd.add("-jar");
      cmd.add(jar().toString());
      cmd.add("--server.port=0");
      cmd.add("--server.address=127.0.0.1");
      cmd.add("--colo.agent.name=" + name);
      cmd.add("--colo.agent.data-dir=" + dataDir);
      cmd.addAll(List.of(options));
      Process p =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      int[] port = {-1};
      Awaitility.await("agent " + name + " starts")
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                if (!p.isAlive()) {
                  throw new IllegalStateException(
                      "agent " + name + " exited: " + Files.readString(log));
                }
                Matcher m = PORT.matcher(Files.readString(log));
                if (m.find()) {
                  port[0] = Integer.parseInt(m.group(1));
                  return true;
                }
                return false;
              });
      return new AgentProcess(p, log, port[0]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public Http api() {
    return new Http(url());
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** SIGKILL, as a host crash. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public boolean alive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }
}
