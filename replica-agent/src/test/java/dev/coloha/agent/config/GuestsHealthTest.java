package dev.coloha.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.microvm.guest.GuestCatalog;
import dev.coloha.microvm.guest.GuestLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** An agent is ready once every guest it knows is loaded, and not while one cannot be. */
class GuestsHealthTest {
  @TempDir Path guestsDir;

  private static GuestCatalog catalog(Optional<Path> dir) {
    // interpreted: loading validates without the compiler's cost
    return new GuestCatalog(new GuestLoader(16 << 20, Set.of(1), false), dir);
  }

  @Test
  void notReadyUntilTheGuestsAreLoadedThenUp() {
    GuestsHealth health = new GuestsHealth(catalog(Optional.empty()));
    assertThat(health.health().getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
    health.load();
    Health h = health.health();
    assertThat(h.getStatus()).isEqualTo(Status.UP);
    assertThat(h.getDetails().get("guests")).asList().contains("kv", "http", "counter");
  }

  @Test
  void aGuestThatCannotLoadMakesTheAgentDownNamingIt() throws Exception {
    Files.write(guestsDir.resolve("broken.wasm"), new byte[] {0, 'a', 's', 'm', 9, 9});
    GuestsHealth health = new GuestsHealth(catalog(Optional.of(guestsDir)));
    health.load();
    Health h = health.health();
    assertThat(h.getStatus()).isEqualTo(Status.DOWN);
    @SuppressWarnings("unchecked")
    Map<String, String> failed = (Map<String, String>) h.getDetails().get("failed");
    assertThat(failed).containsOnlyKeys("broken");
  }
}
