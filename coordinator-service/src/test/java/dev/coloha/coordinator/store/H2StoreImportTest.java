package dev.coloha.coordinator.store;

import static dev.coloha.coordinator.model.TestGroups.group;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Host;
import java.nio.file.Path;
import java.time.Instant;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.json.JsonMapper;

/** The H2 store of 0.1.x is imported into the journal once, and kept renamed. */
class H2StoreImportTest {
  @TempDir Path dir;

  final JsonMapper json = JsonMapper.builder().build();

  @Test
  void theOldStoresGroupsHostsAndNewestEventsAreImportedOnce() throws Exception {
    try (StoreDatabase db = new StoreDatabase(dir.resolve("coordinator"))) {
      Flyway.configure().dataSource(db.dataSource()).load().migrate();
      JdbcCoordinatorStore old =
          new JdbcCoordinatorStore(JdbcClient.create(db.dataSource()), json, db.dataSource());
      old.save(group("web", 2, GroupState.SYNCING));
      for (int i = 1; i <= 150; i++) {
        old.save(
            group("kv", i, GroupState.PROTECTED),
            new GroupEvent(Instant.EPOCH.plusSeconds(i), "kv", "state", i, "PROTECTED", "e" + i),
            1000);
      }
      old.save(new Host("h1", "http://a", "http://m", Instant.EPOCH, null, false));
    }
    Path journal = dir.resolve("coordinator.journal");

    try (JournalCoordinatorStore store = H2StoreImport.open(journal, json, true, 8 << 20, 100)) {
      assertThat(store.group("kv")).contains(group("kv", 150, GroupState.PROTECTED));
      assertThat(store.group("web")).contains(group("web", 2, GroupState.SYNCING));
      assertThat(store.hosts())
          .containsExactly(new Host("h1", "http://a", "http://m", Instant.EPOCH, null, false));
      assertThat(store.events(1000)).hasSize(100); // the newest the coordinator keeps
      assertThat(store.events(1).getFirst().detail()).isEqualTo("e150");
      store.save(group("kv", 151, GroupState.FAILING_OVER));
    }
    assertThat(dir.resolve("coordinator.mv.db")).doesNotExist();
    assertThat(dir.resolve("coordinator.mv.db.imported")).exists();

    // opened again: the journal, not a second import
    try (JournalCoordinatorStore again = H2StoreImport.open(journal, json, true, 8 << 20, 100)) {
      assertThat(again.group("kv").orElseThrow().epoch()).isEqualTo(151);
    }
  }
}
