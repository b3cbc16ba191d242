package dev.coloha.proxy.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an external program (redis-cli, curl...) with a time limit and captures its output. */
public final class Command {
  private Command() {}

  /** Exit code and merged stdout+stderr. */
  public record Result(int exit, String output) {}

  public static Result run(Duration timeout, String... argv) {
    return run(timeout, null, null, argv);
  }

  public static Result run(Duration timeout, Path dir, byte[] stdin, String... argv) {
    File out = null;
    try {
      out = File.createTempFile("cmd", ".out");
      ProcessBuilder pb =
          new ProcessBuilder(List.of(argv)).redirectErrorStream(true).redirectOutput(out);
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
      return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8));
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
}
