package dev.coloha.containers;

import dev.coloha.testkit.Prerequisites;
import java.util.List;
import org.testcontainers.DockerClientFactory;

/**
 * What the container tests need from the machine. Without a Docker engine they skip on a
 * developer's machine, but fail under {@code CI=true} ({@link Prerequisites}): CI starts its own
 * engine, so a missing one is a broken CI, not a reason to pass.
 */
final class Docker {
  static final List<String> IMAGES =
      List.of(
          "colo-ha/coordinator-service",
          "colo-ha/replica-agent",
          "colo-ha/disk-mirror",
          "colo-ha/packet-proxy");

  private Docker() {}

  /** Skips (or under CI fails) the calling test when no Docker engine answers. */
  static void require() {
    require(DockerClientFactory.instance().isDockerAvailable(), System.getenv("CI"));
    for (String image : IMAGES) {
      String ref = image + ":" + Images.tag();
      boolean present;
      try {
        DockerClientFactory.instance().client().inspectImageCmd(ref).exec();
        present = true;
      } catch (RuntimeException e) {
        present = false;
      }
      if (!present) {
        throw new AssertionError(
            "image "
                + ref
                + " is missing: the container-tests module builds it in pre-integration-test"
                + " (docker/build-images.sh --local-base)");
      }
    }
  }

  /** Fails when an image the test runs is missing, naming what builds it. */
  static void requireImage(String ref, String builtBy) {
    try {
      DockerClientFactory.instance().client().inspectImageCmd(ref).exec();
    } catch (RuntimeException e) {
      throw new AssertionError("image " + ref + " is missing: " + builtBy);
    }
  }

  static void require(boolean dockerAvailable, String ciEnv) {
    Prerequisites.require(
        dockerAvailable,
        "no Docker engine answers: the container tests need one (.ci/run starts dockerd)",
        ciEnv);
  }

  /** Fails the test when a command-line tool it drives is not installed. */
  static void requireTool(String tool, String debianPackage) {
    if (Prerequisites.onPath(tool)) {
      return;
    }
    throw new AssertionError(tool + " is not installed: apt-get install " + debianPackage);
  }

  /** Image tags. */
  static final class Images {
    private Images() {}

    static String tag() {
      return System.getProperty("colo.images.tag", "latest");
    }

    static String of(String module) {
      return "colo-ha/" + module + ":" + tag();
    }
  }
}
