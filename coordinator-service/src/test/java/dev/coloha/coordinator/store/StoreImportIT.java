package dev.coloha.coordinator.store;

import static dev.coloha.coordinator.model.TestGroups.group;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Host;
import java.nio.file.Path;
import java.time.Instant;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The H2 database of 0.1.x (here as its first version made it: tables made inline, no Flyway
 * history) found in the data directory is imported into the journal when the coordinator starts:
 * every record kept, the database renamed {@code .imported}, and the store takes new records.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
class StoreImportIT {
  @TempDir static Path data;

  static final Host HOST =
      new Host("h1", "http://127.0.0.1:1", "http://127.0.0.1:2", null, null, true);
  static final GroupEvent EVENT =
      new GroupEvent(Instant.parse("2026-01-01T00:00:00Z"), "kv", "created", 1, "SYNCING", "old");

  /** The store as JdbcCoordinatorStore created it up to 0.1.0, with a host and an event. */
  @DynamicPropertySource
  static void oldStore(DynamicPropertyRegistry r) throws Exception {
    java.nio.file.Files.createDirectories(data);
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:file:" + data.resolve("coordinator") + ";DB_CLOSE_ON_EXIT=FALSE");
    ds.setUser("sa");
    JdbcClient jdbc = JdbcClient.create(ds);
    jdbc.sql(
            "create table if not exists colo_group (id varchar(64) primary key, epoch bigint not null,"
                + " state varchar(32) not null, body clob not null)")
        .update();
    jdbc.sql(
            "create table if not exists colo_host (name varchar(64) primary key, body clob not null)")
        .update();
    jdbc.sql(
            "create table if not exists colo_event (id bigint auto_increment primary key,"
                + " body clob not null)")
        .update();
    JsonMapper json = JsonMapper.builder().build();
    jdbc.sql("insert into colo_host (name, body) values (?, ?)")
        .params(HOST.name(), json.writeValueAsString(HOST))
        .update();
    jdbc.sql("insert into colo_event (body) values (?)")
        .param(json.writeValueAsString(EVENT))
        .update();
    jdbc.sql("insert into colo_group (id, epoch, state, body) values (?, ?, ?, ?)")
        .params("kv", 9, "PROTECTED", json.writeValueAsString(KV))
        .update();
    jdbc.sql("shutdown").update();
    r.add("colo.coordinator.data-dir", () -> data.toString());
  }

  static final Group KV = group("kv", 9, GroupState.PROTECTED);

  @Autowired CoordinatorStore store;

  @Test
  void anOldH2StoreIsImportedIntoTheJournalWithItsRecords() {
    assertThat(data.resolve("coordinator.journal")).exists();
    assertThat(data.resolve("coordinator.mv.db")).doesNotExist();
    assertThat(data.resolve("coordinator.mv.db.imported")).exists();

    // the coordinator resumes the group (its hosts do not answer here): its epoch never goes back
    assertThat(store.group("kv").orElseThrow().epoch()).isGreaterThanOrEqualTo(KV.epoch());
    assertThat(store.hosts()).extracting(Host::name).contains("h1");
    assertThat(store.events(10)).contains(EVENT);
    store.append(
        new GroupEvent(Instant.parse("2026-01-01T00:00:01Z"), "kv", "state", 1, "PROTECTED", "new"),
        100);
    assertThat(store.events(10)).extracting(GroupEvent::detail).containsSubsequence("old", "new");
  }
}
