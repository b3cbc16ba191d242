package dev.coloha.containers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** {@code docker-compose} (v1, or v2's {@code docker compose}) on the repository's compose file. */
final class Compose {
  private final Path root;
  private final String project;
  private final Map<String, String> env;
  private final Path log;

  Compose(Path root, String project, Map<String, String> env, Path log) {
    this.root = root;
    this.project = project;
    this.env = env;
    this.log = log;
  }

  static Path repositoryRoot() {
    String configured = System.getProperty("colo.repo.root");
    Path start = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath();
    for (Path p = start.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("docker-compose.yml"))) {
        return p;
      }
    }
    throw new IllegalStateException("docker-compose.yml not found above " + start);
  }

  /** Runs {@code docker-compose -p <project> <args>}; fails on a non-zero exit. */
  String run(long timeoutSeconds, String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker-compose", "-f", "docker-compose.yml"));
    cmd.addAll(List.of("-p", project));
    cmd.addAll(List.of(args));
    return exec(cmd, timeoutSeconds, true);
  }

  String docker(long timeoutSeconds, String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker"));
    cmd.addAll(List.of(args));
    return exec(cmd, timeoutSeconds, true);
  }

  /** Like {@link #run} but never fails (for clean-up and logs). */
  String runQuietly(long timeoutSeconds, String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker-compose", "-f", "docker-compose.yml"));
    cmd.addAll(List.of("-p", project));
    cmd.addAll(List.of(args));
    return exec(cmd, timeoutSeconds, false);
  }

  private String exec(List<String> cmd, long timeoutSeconds, boolean check) {
    try {
      ProcessBuilder pb =
          new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true);
      pb.environment().putAll(env);
      Process p = pb.start();
      byte[] out;
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(
            String.join(" ", cmd) + " did not end within " + timeoutSeconds + " s");
      }
      out = p.getInputStream().readAllBytes();
      String text = new String(out, StandardCharsets.UTF_8);
      Files.createDirectories(log.getParent());
      Files.writeString(
          log,
          "$ " + String.join(" ", cmd) + "\n" + text + "\n",
          StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
      if (check && p.exitValue() != 0) {
        throw new AssertionError(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + text);
      }
      return text;
    } catch (IOException e) {
      throw new AssertionError(cmd.getFirst() + " could not run", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
