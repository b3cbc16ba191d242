package dev.coloha.coordinator.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;

/**
 * The coordinator's embedded H2 database file, kept open for the life of the process.
 *
 * <p>H2 closes a database with its last connection, writing and compacting the file; a store that
 * opened a connection per statement paid that for every save: 0.1-0.7 s on a loaded host for a
 * failover's new epoch, which is persisted before anyone is told (docs/benchmarks.md "Where an
 * agent kill's gap goes"). One connection held here keeps the database open, so a save costs about
 * 0.1 ms. {@code WRITE_DELAY=0} makes each commit reach the file (the operating system's page
 * cache) before it returns, so a commit survives the process's {@code kill -9} ({@code
 * StoreDatabaseKillTest}); without it H2 writes from a background thread up to half a second later.
 * {@link #close()} lets go of the database: H2 then writes and compacts it.
 */
public final class StoreDatabase implements AutoCloseable {
  private final JdbcDataSource dataSource;
  private final Connection keeper;

  /**
   * @param file the database's path without H2's {@code .mv.db} suffix (absolute: H2 refuses bare
   *     relative paths)
   */
  public StoreDatabase(Path file) throws SQLException {
    dataSource = new JdbcDataSource();
    dataSource.setURL(url(file));
    dataSource.setUser("sa");
    keeper = dataSource.getConnection();
  }

  /** The JDBC URL of the database at {@code file}: open until closed, each commit written. */
  static String url(Path file) {
    return "jdbc:h2:file:"
        + file.toAbsolutePath().normalize()
        + ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";
  }

  /** Connections to the open database (cheap: the file stays open between them). */
  public DataSource dataSource() {
    return dataSource;
  }

  @Override
  public void close() throws SQLException {
    keeper.close();
  }
}
