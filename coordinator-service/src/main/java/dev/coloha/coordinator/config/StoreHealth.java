package dev.coloha.coordinator.config;

import dev.coloha.coordinator.store.JournalCoordinatorStore;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Readiness of the coordinator: its store takes saves. A coordinator whose journal cannot be
 * written cannot persist an epoch, so it must not take calls.
 */
final class StoreHealth implements HealthIndicator {
  private final JournalCoordinatorStore store;

  StoreHealth(JournalCoordinatorStore store) {
    this.store = store;
  }

  @Override
  public Health health() {
    if (store.failure() == null) {
      return Health.up().build();
    }
    return Health.down()
        .withDetail("journal", store.file().toString())
        .withDetail("error", store.failure().toString())
        .build();
  }
}
