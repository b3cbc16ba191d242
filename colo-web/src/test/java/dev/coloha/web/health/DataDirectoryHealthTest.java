package dev.coloha.web.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

class DataDirectoryHealthTest {
  @TempDir Path dir;

  @Test
  void aWritableDirectoryIsReadyAndKeepsNoProbeFile() throws Exception {
    Health h = new DataDirectoryHealth(dir.resolve("data")).health();

    assertThat(h.getStatus()).isEqualTo(Status.UP);
    assertThat(h.getDetails()).containsKey("usableBytes");
    try (var files = Files.list(dir.resolve("data"))) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void aPathThatIsAFileIsNotReady() throws Exception {
    Path file = Files.writeString(dir.resolve("not-a-directory"), "x");

    Health h = new DataDirectoryHealth(file).health();

    assertThat(h.getStatus()).isEqualTo(Status.DOWN);
    assertThat(h.getDetails().get("path")).isEqualTo(file.toString());
  }
}
