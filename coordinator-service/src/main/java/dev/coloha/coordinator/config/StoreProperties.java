package dev.coloha.coordinator.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The coordinator's journal ({@code colo.coordinator.store.*}); docs/configuration.md.
 *
 * @param fsync whether each save is forced to the disk before it returns. The write alone survives
 *     a {@code kill -9} of the coordinator; the force is what survives a crash of its host or a
 *     power cut
 * @param compactBytes the journal's size past which it is rewritten holding the current state only
 */
@ConfigurationProperties("colo.coordinator.store")
public record StoreProperties(
    @DefaultValue("true") boolean fsync, @DefaultValue("8MB") DataSize compactBytes) {
  public StoreProperties {
    if (compactBytes != null && compactBytes.toBytes() < 4096) {
      throw new dev.coloha.web.settings.InvalidSettingException(
          "colo.coordinator.store.compact-bytes", compactBytes, "must be at least 4KB");
    }
  }
}
