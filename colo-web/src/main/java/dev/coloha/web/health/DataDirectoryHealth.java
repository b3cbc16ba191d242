package dev.coloha.web.health;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Readiness of a service that keeps its data on disk: its data directory exists (or can be made)
 * and takes a write. A full or read-only volume makes the service not ready, so that orchestrators
 * stop sending it work before a VM's disk write or a checkpoint fails.
 */
public final class DataDirectoryHealth implements HealthIndicator {
  private final Path directory;

  public DataDirectoryHealth(Path directory) {
    this.directory = directory.toAbsolutePath().normalize();
  }

  @Override
  public Health health() {
    try {
      Files.createDirectories(directory);
      Path probe = Files.createTempFile(directory, ".ready-", ".probe");
      try {
        Files.writeString(probe, "ready");
      } finally {
        Files.deleteIfExists(probe);
      }
      return Health.up()
          .withDetail("path", directory.toString())
          .withDetail("usableBytes", Files.getFileStore(directory).getUsableSpace())
          .build();
    } catch (IOException | SecurityException e) {
      return Health.down()
          .withDetail("path", directory.toString())
          .withDetail("error", e.toString())
          .build();
    }
  }
}
