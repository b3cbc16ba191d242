package dev.coloha.coordinator.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.Counters;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupSpec;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Host;
import dev.coloha.coordinator.model.Policy;
import dev.coloha.coordinator.model.Replica;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
    return new JdbcCoordinatorStore(JdbcClient.create(ds), JsonMapper.builder().build());
  }

  private static Group group(String id, long epoch, GroupState state) {
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
        epoch - 1);
  }

  @Test
  void groupsAndHostsSurviveAReopen() {
    JdbcCoordinatorStore store = open();
    store.save(group("kv", 3, GroupState.PROTECTED));
    store.save(group("web", 1, GroupState.SYNCING));
    store.save(group("kv", 4, GroupState.FAILING_OVER)); // epoch persisted before use
    store.save(new Host("h1", "http://a", "http://m", null, null, true));

    JdbcCoordinatorStore again = open();
    assertThat(again.groups()).extracting(Group::id).containsExactly("kv", "web");
    Group kv = again.group("kv").orElseThrow();
    assertThat(kv).isEqualTo(group("kv", 4, GroupState.FAILING_OVER));
    assertThat(again.hosts())
        .containsExactly(new Host("h1", "http://a", "http://m", null, null, true));
    again.delete("web");
    assertThat(open().groups()).extracting(Group::id).containsExactly("kv");
  }
}
