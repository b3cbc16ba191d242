package dev.coloha.testkit;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external program (redis-cli, curl, kill, {@code ./colo lab} ...) to completion with a
 * time limit and captures its output. A program that does not finish in time is stopped and the run
 * fails. {@code JAVA_HOME} is set to this JVM's when the environment has none (the scripts start
 * Java services).
 */
public final class Command {
  /**
   * Output readers run on their own threads: on the common pool (parallelism 1 on 2 cores) a test's
   * long-running task would starve them, and the command would never be seen to finish.
   */
  private static final Executor READERS = Thread.ofVirtual()::start;

  private Command() {}

  /**
   * What a program did: its exit code, its standard output and its standard error ({@code err} is
   * empty when the two were merged into {@code out}).
   */
  public record Result(List<String> command, int exit, String out, String err) {
    /** Everything the program wrote: the merged output, or stdout followed by stderr. */
    public String output() {
      return out + err;
    }

    /** This result; fails with the output unless the exit code is 0. */
    public Result requireOk() {
      if (exit != 0) {
        throw new AssertionError(
            command + " exited with " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err);
      }
      return this;
    }
  }

  /** Runs {@code argv} with stdout and stderr merged; killed and failed after {@code timeout}. */
  public static Result run(Duration timeout, String... argv) {
    return run(timeout, null, null, argv);
  }

  /**
   * Runs {@code argv} in {@code dir} (null: this JVM's directory) with {@code stdin} (null: none)
   * and stdout and stderr merged; killed and failed after {@code timeout}.
   */
  public static Result run(Duration timeout, Path dir, byte[] stdin, String... argv) {
    File out = null;
    try {
      out = File.createTempFile("cmd", ".out");
      ProcessBuilder pb = builder(List.of(argv)).redirectErrorStream(true).redirectOutput(out);
      if (dir != null) {
        pb.directory(dir.toFile());
      }
      Process p = pb.start();
      if (stdin != null) {
        p.getOutputStream().write(stdin);
      }
      p.getOutputStream().close();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(
            "timed out after "
                + timeout
                + ": "
                + String.join(" ", argv)
                + "\n"
                + Files.readString(out.toPath()));
      }
      return new Result(
          List.of(argv), p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8), "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      if (out != null) {
        out.delete();
      }
    }
  }

  /**
   * Runs {@code command} with {@code env} added to the environment, stdout and stderr apart. After
   * {@code timeout} it gets SIGTERM ({@code ./colo lab up} stops what it started when it is
   * interrupted), a minute later SIGKILL, and the run fails with an {@link IOException}.
   */
  public static Result run(Duration timeout, Map<String, String> env, List<String> command)
      throws IOException, InterruptedException {
    ProcessBuilder b = builder(command);
    b.environment().putAll(env);
    Process p = b.start();
    p.getOutputStream().close();
    CompletableFuture<String> out =
        CompletableFuture.supplyAsync(() -> read(p.getInputStream()), READERS);
    CompletableFuture<String> err =
        CompletableFuture.supplyAsync(() -> read(p.getErrorStream()), READERS);
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroy();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      throw new IOException(command + " did not finish within " + timeout);
    }
    return new Result(command, p.exitValue(), out.join(), err.join());
  }

  /**
   * {@code kill -<signal> <pid>} (e.g. {@code 9}, {@code STOP}, {@code CONT}); fails unless it
   * worked.
   */
  public static void signal(String signal, long pid) {
    run(Duration.ofSeconds(10), "kill", "-" + signal, Long.toString(pid)).requireOk();
  }

  private static ProcessBuilder builder(List<String> command) {
    ProcessBuilder b = new ProcessBuilder(command);
    if (System.getenv("JAVA_HOME") == null) {
      b.environment().put("JAVA_HOME", System.getProperty("java.home"));
    }
    return b;
  }

  private static String read(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
