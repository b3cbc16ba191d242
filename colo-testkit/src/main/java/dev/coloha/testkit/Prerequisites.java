package dev.coloha.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs from the machine (a Docker engine, root and {@code ip netns}, a tool such as
 * {@code promtool}). On a developer's machine a missing prerequisite skips the test; under {@code
 * CI=true} (what {@code .ci/run} sets) it fails it: CI installs and starts everything the tests
 * need, so a missing one is a broken CI, not a reason to pass.
 */
public final class Prerequisites {
  private Prerequisites() {}

  /** Whether this is a CI run: the environment variable {@code CI} is {@code true}. */
  public static boolean ci() {
    return ci(System.getenv("CI"));
  }

  static boolean ci(String ciEnv) {
    return "true".equalsIgnoreCase(ciEnv);
  }

  /**
   * Returns when {@code met}; otherwise fails under {@code CI=true} and skips the calling test
   * elsewhere, saying {@code missing}.
   */
  public static void require(boolean met, String missing) {
    require(met, missing, System.getenv("CI"));
  }

  /** {@link #require(boolean, String)} with the value of {@code CI} given. */
  public static void require(boolean met, String missing, String ciEnv) {
    if (met) {
      return;
    }
    if (ci(ciEnv)) {
      throw new AssertionError(missing + ", and CI=true: this test must run in CI");
    }
    Assumptions.abort(missing + ": test skipped (it fails under CI=true)");
  }

  /** Whether {@code tool} is an executable file in a directory of {@code PATH}. */
  public static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }
}
