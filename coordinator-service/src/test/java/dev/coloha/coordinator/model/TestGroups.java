package dev.coloha.coordinator.model;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** A kv group with every field set, for tests that need a whole one. */
public final class TestGroups {
  private TestGroups() {}

  /** Group {@code id} in {@code epoch} and {@code state}: primary on h1, secondary on h2. */
  public static Group group(String id, long epoch, GroupState state) {
    return new Group(
        new GroupSpec(id, "kv", 64 << 20, 0, 6379, "127.0.0.1"),
        new Policy(
            Duration.ofMillis(20),
            Duration.ofSeconds(5),
            Duration.ofMillis(100),
            Duration.ofMillis(250),
            4),
        state,
        epoch,
        new Replica("h1", "http://127.0.0.1:1", null, id, null),
        new Replica("h2", "http://127.0.0.1:2", null, id, null),
        "http://127.0.0.1:9",
        41,
        Instant.parse("2026-01-01T00:00:00Z"),
        new Counters(41, 1, 7, 2, 1),
        List.of(new Replica("h3", "http://127.0.0.1:3", null, id, null)),
        null,
        epoch - 1,
        null);
  }
}
