package dev.coloha.mirror.testing;

import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Http;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A disk mirror as a real process, started from the module's {@code -exec.jar} (failsafe runs after
 * packaging), on a free loopback port. {@link #kill9()} sends SIGKILL: no shutdown hook, no flush,
 * exactly a crash of the mirror process. Always killed by {@link #close()}.
 */
public final class MirrorProcess implements AutoCloseable {
  private final Path data;
  private final Path log;
  private final int port;
  private Process process;

  private MirrorProcess(Path data, Path log, int port) {
    this.data = data;
    this.log = log;
    this.port = port;
  }

  /** Starts a mirror and waits until it is healthy. */
  public static MirrorProcess start(Path data, Path log, String... args) {
    MirrorProcess m = new MirrorProcess(data, log, freePort());
    m.launch(args);
    return m;
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path jar() {
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      return files
          .filter(p -> p.getFileName().toString().matches("disk-mirror-.*-exec\\.jar"))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("run after 'package': no exec jar"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** (Re)starts the process on the same port and data directory. */
  public void launch(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Xshare:auto");
    cmd.add("-jar");
    cmd.add(jar().toAbsolutePath().toString());
    cmd.add("--server.port=" + port);
    cmd.add("--server.address=127.0.0.1");
    cmd.add("--colo.mirror.data-dir=" + data.toAbsolutePath());
    cmd.add("--spring.main.banner-mode=off");
    cmd.addAll(List.of(args));
    try {
      process =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Http api = api();
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException("mirror exited; see " + log);
              }
              return api.get("/actuator/health").status() == 200;
            });
  }

  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public Http api() {
    return new Http(url());
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  /** SIGKILL, as {@code kill -9 <pid>}; returns once the process is gone. */
  public void kill9() {
    try {
      new ProcessBuilder("kill", "-9", Long.toString(process.pid())).start().waitFor();
      process.waitFor();
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  /** Waits for a process that halts itself (a fault point) to be gone. */
  public void awaitDeath() {
    await().atMost(Duration.ofSeconds(60)).until(() -> !process.isAlive());
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
