package dev.coloha.coordinator.store;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.Host;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The upgrade from the embedded H2 database the coordinator kept its store in up to 0.1.x ({@code
 * <data-dir>/coordinator.mv.db}) to the journal: when there is no journal yet but that database,
 * its groups, hosts and history are written into a new journal once, and the database is renamed
 * {@code coordinator.mv.db.imported} (kept, not deleted).
 */
public final class H2StoreImport {
  private static final Logger log = LoggerFactory.getLogger(H2StoreImport.class);

  private H2StoreImport() {}

  /** The H2 database file next to {@code journal} ({@code coordinator.mv.db} beside it). */
  public static Path database(Path journal) {
    String name = journal.getFileName().toString();
    int dot = name.lastIndexOf('.');
    String base = dot > 0 ? name.substring(0, dot) : name;
    return journal.resolveSibling(base + ".mv.db");
  }

  /** Opens the journal, importing the H2 database beside it first if the journal does not exist. */
  public static JournalCoordinatorStore open(
      Path journal, JsonMapper json, boolean fsync, long compactBytes, int historyLimit)
      throws IOException {
    Path h2 = database(journal);
    if (Files.exists(journal) || !Files.exists(h2)) {
      if (Files.exists(h2)) {
        log.warn("{} is ignored: the coordinator keeps its store in the journal {}", h2, journal);
      }
      return JournalCoordinatorStore.open(journal, json, fsync, compactBytes, historyLimit);
    }
    JournalCoordinatorStore.StoreState state = read(h2, json, historyLimit);
    JournalCoordinatorStore store =
        JournalCoordinatorStore.create(journal, json, fsync, compactBytes, historyLimit, state);
    Path imported = h2.resolveSibling(h2.getFileName() + ".imported");
    Files.move(h2, imported);
    log.info(
        "Imported the coordinator's H2 store {} into the journal {}: {} groups, {} hosts, {} events;"
            + " the database is kept as {}",
        h2,
        journal,
        state.groups().size(),
        state.hosts().size(),
        state.events().size(),
        imported);
    return store;
  }

  /** The groups, hosts and newest {@code historyLimit} events of the H2 database {@code h2}. */
  static JournalCoordinatorStore.StoreState read(Path h2, JsonMapper json, int historyLimit)
      throws IOException {
    String name = h2.toAbsolutePath().normalize().toString();
    String base = name.substring(0, name.length() - ".mv.db".length());
    try (Connection c =
        DriverManager.getConnection("jdbc:h2:file:" + base + ";IFEXISTS=TRUE", "sa", "")) {
      List<Group> groups = new ArrayList<>();
      for (String body : bodies(c, "select body from colo_group order by id")) {
        groups.add(json.readValue(body, Group.class));
      }
      List<Host> hosts = new ArrayList<>();
      for (String body : bodies(c, "select body from colo_host order by name")) {
        hosts.add(json.readValue(body, Host.class));
      }
      List<GroupEvent> events = new ArrayList<>();
      for (String body :
          bodies(c, "select body from colo_event order by id desc limit " + historyLimit)) {
        events.add(json.readValue(body, GroupEvent.class));
      }
      return new JournalCoordinatorStore.StoreState(groups, hosts, events.reversed());
    } catch (SQLException e) {
      throw new IOException("Could not import the coordinator's H2 store " + h2 + ": " + e, e);
    }
  }

  private static List<String> bodies(Connection c, String query) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery(query)) {
      while (r.next()) {
        out.add(r.getString(1));
      }
    }
    return out;
  }
}
