package dev.coloha.coordinator.store;

import java.nio.file.Path;
import org.flywaydb.core.Flyway;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.json.JsonMapper;

/** The H2 store the journal replaced, opened as the coordinator opened it up to 0.1.x. */
final class H2Store {
  private H2Store() {}

  static CoordinatorStore open(Path file) throws Exception {
    StoreDatabase db = new StoreDatabase(file);
    Flyway.configure().dataSource(db.dataSource()).load().migrate();
    return new JdbcCoordinatorStore(
        JdbcClient.create(db.dataSource()), JsonMapper.builder().build(), db.dataSource());
  }
}
