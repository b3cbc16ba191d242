package dev.coloha.coordinator.store;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.Host;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link CoordinatorStore} on an embedded H2 database file (groups, hosts, the groups' history)
 * (autocommit: each save is durable when it returns, on a database opened by {@link
 * StoreDatabase}). Records are kept as JSON next to the columns queries need. The schema is created
 * and changed by versioned migrations ({@code db/migration/V*.sql}), not here.
 */
public final class JdbcCoordinatorStore implements CoordinatorStore {
  private final JdbcClient jdbc;
  private final JsonMapper json;

  /** One transaction for a group and its event (null: a statement each). */
  private final TransactionTemplate together;

  private long appended;

  /**
   * @param jdbc a database whose schema the migrations made ({@code db/migration}, run by Flyway
   *     before the store opens; a store created before them is baselined at V1)
   */
  public JdbcCoordinatorStore(JdbcClient jdbc, JsonMapper json) {
    this(jdbc, json, null);
  }

  /**
   * @param dataSource the database {@code jdbc} works on: a group and its history event are then
   *     written in one transaction, on one connection (the coordinator's database is kept open by
   *     {@link StoreDatabase}, each commit written when it returns)
   */
  public JdbcCoordinatorStore(JdbcClient jdbc, JsonMapper json, DataSource dataSource) {
    this.jdbc = jdbc;
    this.json = json;
    this.together =
        dataSource == null ? null : new TransactionTemplate(new JdbcTransactionManager(dataSource));
  }

  @Override
  public synchronized void save(Group group, GroupEvent event, int keep) {
    if (together == null) {
      CoordinatorStore.super.save(group, event, keep);
      return;
    }
    together.executeWithoutResult(
        status -> {
          save(group);
          append(event, keep);
        });
  }

  @Override
  public synchronized void append(GroupEvent event, int keep) {
    jdbc.sql("insert into colo_event (body) values (?)")
        .param(json.writeValueAsString(event))
        .update();
    appended++;
    if (appended % 64 == 0) {
      // trimmed now and then, not at every event
      jdbc.sql("delete from colo_event where id <= (select max(id) from colo_event) - ?")
          .param(keep)
          .update();
    }
  }

  @Override
  public List<GroupEvent> events(int limit) {
    List<GroupEvent> newest =
        jdbc
            .sql("select body from colo_event order by id desc limit ?")
            .param(limit)
            .query(String.class)
            .list()
            .stream()
            .map(b -> json.readValue(b, GroupEvent.class))
            .toList();
    return newest.reversed();
  }

  @Override
  public List<Group> groups() {
    return jdbc.sql("select body from colo_group order by id").query(String.class).list().stream()
        .map(b -> json.readValue(b, Group.class))
        .toList();
  }

  @Override
  public Optional<Group> group(String id) {
    return jdbc.sql("select body from colo_group where id = ?")
        .param(id)
        .query(String.class)
        .optional()
        .map(b -> json.readValue(b, Group.class));
  }

  @Override
  public synchronized void save(Group g) {
    String body = json.writeValueAsString(g);
    int n =
        jdbc.sql("update colo_group set epoch = ?, state = ?, body = ? where id = ?")
            .params(g.epoch(), g.state().name(), body, g.id())
            .update();
    if (n == 0) {
      jdbc.sql("insert into colo_group (id, epoch, state, body) values (?, ?, ?, ?)")
          .params(g.id(), g.epoch(), g.state().name(), body)
          .update();
    }
  }

  @Override
  public void delete(String groupId) {
    jdbc.sql("delete from colo_group where id = ?").param(groupId).update();
  }

  @Override
  public List<Host> hosts() {
    return jdbc.sql("select body from colo_host order by name").query(String.class).list().stream()
        .map(b -> json.readValue(b, Host.class))
        .toList();
  }

  @Override
  public synchronized void save(Host h) {
    String body = json.writeValueAsString(h);
    int n =
        jdbc.sql("update colo_host set body = ? where name = ?").params(body, h.name()).update();
    if (n == 0) {
      jdbc.sql("insert into colo_host (name, body) values (?, ?)").params(h.name(), body).update();
    }
  }
}
