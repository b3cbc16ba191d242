package dev.coloha.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/** Runs a command to completion with a timeout and captures its output. */
record Proc(List<String> command, int exit, String out, String err) {
  /**
   * Output readers run on their own threads: on the common pool (parallelism 1 on 2 cores) a test's
   * long-running task would starve them, and the command would never be seen to finish.
   */
  private static final Executor READERS = Thread.ofVirtual()::start;

  static Proc run(Duration timeout, Map<String, String> env, List<String> command)
      throws IOException, InterruptedException {
    ProcessBuilder b = new ProcessBuilder(command);
    b.environment().putAll(env);
    if (System.getenv("JAVA_HOME") == null) {
      b.environment().put("JAVA_HOME", System.getProperty("java.home"));
    }
    Process p = b.start();
    p.getOutputStream().close();
    CompletableFuture<String> out =
        CompletableFuture.supplyAsync(() -> read(p.getInputStream()), READERS);
    CompletableFuture<String> err =
        CompletableFuture.supplyAsync(() -> read(p.getErrorStream()), READERS);
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      // SIGTERM first: ./colo lab up stops what it started when it is interrupted
      p.destroy();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
      throw new IOException(command + " did not finish within " + timeout);
    }
    return new Proc(command, p.exitValue(), out.join(), err.join());
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  Proc requireOk() {
    if (exit != 0) {
      throw new AssertionError(
          command + " exited with " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err);
    }
    return this;
  }
}
