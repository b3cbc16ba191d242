package dev.coloha.coordinator.store;

import static dev.coloha.coordinator.model.TestGroups.group;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.events.GroupEvents;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Host;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.json.JsonMapper;

/** The embedded store keeps groups (epochs above all) and hosts across a restart. */
class JdbcCoordinatorStoreTest {
  @TempDir Path dir;

  private JdbcCoordinatorStore open() {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:file:" + dir.resolve("db") + ";DB_CLOSE_ON_EXIT=FALSE");
    Flyway.configure().dataSource(ds).load().migrate();
    return new JdbcCoordinatorStore(JdbcClient.create(ds), JsonMapper.builder().build());
  }

  @Test
  void groupsAndHostsSurviveAReopen() {
    JdbcCoordinatorStore store = open();
    store.save(group("kv", 3, GroupState.PROTECTED));
    store.save(group("web", 1, GroupState.SYNCING));
    // epoch persisted before use; when its state began, persisted too (a restart's timers)
    java.time.Instant began = java.time.Instant.parse("2026-12-06T10:15:30.123456Z");
    store.save(group("kv", 4, GroupState.FAILING_OVER).withSince(began));
    store.save(new Host("h1", "http://a", "http://m", null, null, true));

    JdbcCoordinatorStore again = open();
    assertThat(again.groups()).extracting(Group::id).containsExactly("kv", "web");
    Group kv = again.group("kv").orElseThrow();
    assertThat(kv).isEqualTo(group("kv", 4, GroupState.FAILING_OVER).withSince(began));
    assertThat(again.hosts())
        .containsExactly(new Host("h1", "http://a", "http://m", null, null, true));
    again.delete("web");
    assertThat(open().groups()).extracting(Group::id).containsExactly("kv");
  }

  /** Counts the connections asked for: each one opens the embedded database file. */
  private static final class CountingDataSource
      extends org.springframework.jdbc.datasource.DelegatingDataSource {
    int connections;

    CountingDataSource(JdbcDataSource target) {
      super(target);
    }

    @Override
    public java.sql.Connection getConnection() throws java.sql.SQLException {
      connections++;
      return super.getConnection();
    }
  }

  @Test
  void aGroupAndItsHistoryEventAreWrittenOnOneConnectionAndBothSurviveAReopen() {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:file:" + dir.resolve("db") + ";DB_CLOSE_ON_EXIT=FALSE");
    Flyway.configure().dataSource(h2).load().migrate();
    CountingDataSource ds = new CountingDataSource(h2);
    JdbcCoordinatorStore store =
        new JdbcCoordinatorStore(JdbcClient.create(ds), JsonMapper.builder().build(), ds);
    Group failing = group("kv", 6, GroupState.FAILING_OVER);
    GroupEvent event =
        new GroupEvent(
            Instant.parse("2026-12-06T19:41:03Z"), "kv", "failover", 6, "FAILING_OVER", "epoch 6");
    int before = ds.connections;

    store.save(failing, event, 100);

    // a new epoch is on the failover's path: one opening of the database, not one per statement
    assertThat(ds.connections - before).isEqualTo(1);
    JdbcCoordinatorStore again = open();
    assertThat(again.group("kv")).contains(failing);
    assertThat(again.events(10)).containsExactly(event);
  }

  @Test
  void aNewStoreGetsItsSchemaFromTheMigrations() {
    open();
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:file:" + dir.resolve("db") + ";DB_CLOSE_ON_EXIT=FALSE");
    assertThat(
            JdbcClient.create(ds)
                .sql("select \"version\" from \"flyway_schema_history\" where \"type\" = 'SQL'")
                .query(String.class)
                .list())
        .containsExactly("1");
  }

  @Test
  void theGroupsHistorySurvivesAReopenNewestKept() {
    JdbcCoordinatorStore store = open();
    for (int i = 0; i < 200; i++) {
      store.append(
          new GroupEvent(
              Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i),
              "kv",
              "state",
              i,
              "PROTECTED",
              "event " + i),
          100);
    }
    List<GroupEvent> back = open().events(100);
    assertThat(back).hasSize(100);
    assertThat(back.getFirst().detail()).isEqualTo("event 100");
    assertThat(back.getLast().detail()).isEqualTo("event 199");
    assertThat(new GroupEvents(10, open()).history("kv"))
        .extracting(GroupEvent::epoch)
        .containsExactly(190L, 191L, 192L, 193L, 194L, 195L, 196L, 197L, 198L, 199L);
  }
}
