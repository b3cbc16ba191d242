package dev.coloha.coordinator.config;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Readiness of the coordinator: its store answers. A coordinator whose store cannot be reached
 * cannot persist an epoch, so it must not take calls.
 */
final class StoreHealth implements HealthIndicator {
  private final DataSource store;

  StoreHealth(DataSource store) {
    this.store = store;
  }

  @Override
  public Health health() {
    try (Connection c = store.getConnection()) {
      if (c.isValid(2)) {
        return Health.up().build();
      }
      return Health.down().withDetail("error", "the store's connection is not valid").build();
    } catch (SQLException e) {
      return Health.down().withDetail("error", e.toString()).build();
    }
  }
}
