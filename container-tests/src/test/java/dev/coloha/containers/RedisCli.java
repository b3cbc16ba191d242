package dev.coloha.containers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real {@code redis-cli} (Debian redis-tools) against a published port on loopback. */
record RedisCli(int port) {
  /** Runs one command; returns its output, trimmed. Fails when redis-cli fails or hangs. */
  String run(String... command) {
    List<String> args = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", "" + port));
    args.addAll(List.of(command));
    try {
      Process p = new ProcessBuilder(args).redirectErrorStream(true).start();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("redis-cli " + String.join(" ", command) + " hung");
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (p.exitValue() != 0) {
        throw new AssertionError("redis-cli " + String.join(" ", command) + " failed: " + out);
      }
      return out;
    } catch (IOException e) {
      throw new AssertionError("redis-cli could not run (apt-get install redis-tools)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** SET through the proxy, true when acknowledged with OK. */
  boolean set(String key, String value) {
    try {
      return "OK".equals(run("SET", key, value));
    } catch (AssertionError e) {
      return false;
    }
  }

  String get(String key) {
    return run("GET", key);
  }
}
