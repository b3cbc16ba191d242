package dev.coloha.agent.testing;

import dev.coloha.testkit.Command;
import dev.coloha.testkit.Http;
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
 * A replica agent as a real process (the exec jar built by {@code package}), on an ephemeral
 * loopback port, so that tests can kill it with SIGKILL or freeze it with SIGSTOP. Shared with
 * other modules' tests through replica-agent's test jar (they find the jar in {@code
 * ../replica-agent/target}, built earlier in the same reactor).
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
    for (Path dir : new Path[] {Path.of("target"), Path.of("..", "replica-agent", "target")}) {
      File[] jars =
          dir.toFile()
              .listFiles((d, n) -> n.startsWith("replica-agent-") && n.endsWith("-exec.jar"));
      if (jars != null && jars.length > 0) {
        return jars[0].toPath().toAbsolutePath();
      }
    }
    throw new IllegalStateException(
        "replica-agent exec jar missing: run this as an integration test (mvn verify), with"
            + " replica-agent in the reactor");
  }

  /** Starts an agent with its data under {@code dataDir} and extra {@code --key=value} options. */
  public static AgentProcess start(String name, Path dataDir, String... options) {
    try {
      Files.createDirectories(dataDir);
      Path log = dataDir.resolve(name + ".log");
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-Xss16m");
      cmd.add("-Xmx1g");
      cmd.add("-XX:+UseParallelGC");
      cmd.add("-jar");
      cmd.add(jar().toString());
      if (java.util.Arrays.stream(options).noneMatch(o -> o.startsWith("--server.port="))) {
        cmd.add("--server.port=0");
      }
      cmd.add("--server.address=127.0.0.1");
      cmd.add("--colo.agent.name=" + name);
      cmd.add("--colo.agent.data-dir=" + dataDir);
      cmd.addAll(List.of(options));
      Process p =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      int[] port = {-1};
      Awaitility.await("agent " + name + " starts")
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(100))
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

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
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

  /** SIGSTOP / SIGCONT: the agent is there but does nothing (a hung host). */
  public void freeze(boolean frozen) {
    Command.signal(frozen ? "STOP" : "CONT", pid());
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      freeze(false);
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
