package dev.coloha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MiniClusterTest {
  @TempDir Path dir;

  @Test
  void aClusterStartsInAnEmptiedDirectorySoNoEarlierRunsDataIsTakenForItsOwn() throws Exception {
    Path cluster = dir.resolve("cluster");
    Files.createDirectories(cluster.resolve("host-a").resolve("volumes"));
    Files.writeString(cluster.resolve("host-a").resolve("volumes").resolve("kv.img"), "old");
    Files.writeString(cluster.resolve("proxy.log"), "old");

    try (MiniCluster started = MiniCluster.under(cluster).start()) {
      assertThat(started.dir()).isEqualTo(cluster);
      assertThat(cluster).isEmptyDirectory();
      assertThat(started.agents()).isEmpty();
    }
  }

  @Test
  void twoServicesOfOneNameAreRefusedBeforeAnythingStarts() {
    MiniCluster.Builder builder = MiniCluster.under(dir).agents("host-a");

    assertThatThrownBy(() -> builder.mirror("host-a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host-a");
  }

  @Test
  void aServiceTheClusterDoesNotHaveIsNamedWithWhatItHas() {
    try (MiniCluster started = MiniCluster.under(dir).start()) {
      assertThatThrownBy(() -> started.agent("host-z"))
          .isInstanceOf(NoSuchElementException.class)
          .hasMessageContaining("no agent host-z");
      assertThatThrownBy(() -> started.mirror("m")).isInstanceOf(NoSuchElementException.class);
      assertThatThrownBy(() -> started.proxy("p")).isInstanceOf(NoSuchElementException.class);
    }
  }

  @Test
  void aClusterForTheClassStartsBeforeItsBeforeAllAndIsClosedAfterItsAfterAll() throws Exception {
    Path cluster = dir.resolve("per-class");
    Files.createDirectories(cluster);
    Files.writeString(cluster.resolve("proxy.log"), "old");
    MiniCluster.PerClass perClass = MiniCluster.under(cluster).perClass();
    assertThatThrownBy(perClass::started).isInstanceOf(IllegalStateException.class);

    perClass.beforeAll(null);
    assertThat(perClass.started().dir()).isEqualTo(cluster);
    assertThat(cluster).isEmptyDirectory();
    assertThatThrownBy(() -> perClass.agent("host-a")).isInstanceOf(NoSuchElementException.class);

    perClass.afterAll(null);
    assertThatThrownBy(perClass::started).isInstanceOf(IllegalStateException.class);
  }
}
