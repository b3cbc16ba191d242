package dev.coloha.containers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** One service's {@code /actuator/prometheus} text, and what promtool says about it. */
record Exposition(String service, String text) {
  private static final List<String> SUFFIXES =
      List.of("_bucket", "_count", "_sum", "_max", "_total");

  /** Names of the samples (the part before the labels). */
  Set<String> sampleNames() {
    Set<String> names = new HashSet<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int end = line.length();
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      if (brace >= 0) {
        end = brace;
      } else if (space >= 0) {
        end = space;
      }
      names.add(line.substring(0, end));
    }
    return names;
  }

  /** Metric families named by {@code # TYPE} lines. */
  Set<String> families() {
    Set<String> names = new HashSet<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        names.add(line.split(" ")[2]);
      }
    }
    return names;
  }

  /** Whether a name a query uses is in this exposition, allowing the histogram/summary suffixes. */
  static boolean exposes(List<Exposition> all, String name) {
    for (Exposition e : all) {
      if (e.sampleNames().contains(name) || e.families().contains(name)) {
        return true;
      }
      for (String suffix : SUFFIXES) {
        if (name.endsWith(suffix)
            && e.families().contains(name.substring(0, name.length() - suffix.length()))) {
          return true;
        }
      }
    }
    return false;
  }

  /** promtool's verdict: exit code 0 clean, 3 lint problems (listed), anything else invalid. */
  record Check(int exit, List<String> problems, String output) {}

  Check promtool() {
    try {
      Process p =
          new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
      p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("promtool hung on " + service);
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      List<String> problems = new ArrayList<>();
      for (String line : out.split("\n")) {
        if (!line.isBlank()) {
          problems.add(line.trim());
        }
      }
      return new Check(p.exitValue(), problems, out);
    } catch (IOException e) {
      throw new AssertionError("promtool could not run (apt-get install prometheus)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
