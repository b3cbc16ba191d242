package dev.coloha.agent.config;

import dev.coloha.microvm.guest.GuestCatalog;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.SmartLifecycle;

/**
 * Readiness of an agent: its guests are loaded. At start it loads (validates and compiles) every
 * guest its catalog knows, the bundled ones and those of {@code colo.agent.guests-dir}, in the
 * background; until they all are, the agent is not ready ({@code OUT_OF_SERVICE}, with what is
 * left), and a guest that cannot load makes it {@code DOWN} naming the guest: a VM of it could not
 * be created, and the first VM of each guest no longer waits for its compilation.
 */
public final class GuestsHealth implements HealthIndicator, SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(GuestsHealth.class);

  private final GuestCatalog guests;
  private final Map<String, String> failed = new ConcurrentHashMap<>();
  private volatile List<String> names = List.of();
  private volatile int loaded;
  private volatile boolean done;
  private volatile Thread thread;

  public GuestsHealth(GuestCatalog guests) {
    this.guests = guests;
  }

  @Override
  public void start() {
    thread = Thread.ofVirtual().name("guests-load").start(this::load);
  }

  /** Loads every guest the catalog names, one after the other. */
  void load() {
    names = guests.names();
    for (String name : names) {
      try {
        guests.get(name);
      } catch (RuntimeException e) {
        failed.put(name, e.getMessage() == null ? e.toString() : e.getMessage());
        log.warn("guest {} cannot be loaded: {}", name, e.getMessage());
      }
      loaded++;
    }
    done = true;
  }

  @Override
  public void stop() {
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }

  @Override
  public boolean isRunning() {
    Thread t = thread;
    return t != null && t.isAlive();
  }

  @Override
  public Health health() {
    if (!done) {
      return Health.status(Status.OUT_OF_SERVICE)
          .withDetail("loaded", loaded)
          .withDetail("guests", names)
          .build();
    }
    if (!failed.isEmpty()) {
      return Health.down().withDetail("failed", new TreeMap<>(failed)).build();
    }
    return Health.up().withDetail("guests", names).build();
  }
}
