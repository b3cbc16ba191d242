package dev.coloha.coordinator.store;

import static dev.coloha.coordinator.model.TestGroups.group;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.model.GroupState;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * The kept-open store's commits survive {@code kill -9} of the process that made them: a child
 * process saves a group with a rising epoch (and its history event) and prints each epoch once its
 * save returned; it is killed at a random moment, and the store opened again must hold at least the
 * last printed epoch (epochs only rise: a persisted epoch must never be lost). Fails with H2's
 * default write delay, which writes commits from a background thread up to half a second later.
 */
class StoreDatabaseKillTest {
  @TempDir Path dir;

  /** The child: saves epochs 1, 2, ... until killed, printing each after its save returned. */
  public static void main(String[] args) throws Exception {
    StoreDatabase db = new StoreDatabase(Path.of(args[0]));
    Flyway.configure().dataSource(db.dataSource()).load().migrate();
    JdbcCoordinatorStore store =
        new JdbcCoordinatorStore(
            JdbcClient.create(db.dataSource()), JsonMapper.builder().build(), db.dataSource());
    for (long epoch = 1; ; epoch++) {
      long t0 = System.nanoTime();
      store.save(
          group("kv", epoch, GroupState.FAILING_OVER),
          new GroupEvent(Instant.now(), "kv", "failover", epoch, "FAILING_OVER", "epoch " + epoch),
          100);
      System.out.println(epoch + " " + (System.nanoTime() - t0) / 1000);
      System.out.flush();
    }
  }

  @Test
  void everyEpochSavedBeforeAKillIsThereAfterIt() throws Exception {
    List<Long> saveMicros = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      Path file = dir.resolve("db" + round);
      String java = ProcessHandle.current().info().command().orElse("java");
      Process child =
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  StoreDatabaseKillTest.class.getName(),
                  file.toString())
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      long killAfter = 200 + ThreadLocalRandom.current().nextLong(800);
      long lastPrinted = 0;
      try (BufferedReader out =
          new BufferedReader(
              new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          String[] f = line.split(" ");
          if (f.length != 2) {
            continue; // a line cut by the kill
          }
          lastPrinted = Long.parseLong(f[0]);
          saveMicros.add(Long.parseLong(f[1]));
          if (lastPrinted == killAfter) {
            // SIGKILL (the handle, not the Process: that would close the stream still to read): no
            // shutdown hook, no close of the database
            child.toHandle().destroyForcibly();
          }
        }
      }
      child.waitFor();
      assertThat(lastPrinted).as("the child saved epochs").isGreaterThanOrEqualTo(killAfter);
      try (StoreDatabase again = new StoreDatabase(file)) {
        JdbcCoordinatorStore store =
            new JdbcCoordinatorStore(
                JdbcClient.create(again.dataSource()), JsonMapper.builder().build());
        long kept = store.group("kv").orElseThrow().epoch();
        assertThat(kept)
            .as("round %d: the epoch after the kill", round)
            .isGreaterThanOrEqualTo(lastPrinted);
        assertThat(store.events(1).getFirst().epoch()).isGreaterThanOrEqualTo(lastPrinted);
      }
    }
    List<Long> sorted = saveMicros.stream().sorted().toList();
    System.out.printf(
        "StoreDatabaseKillTest: %d saves of a group with its event, median %d us, p99 %d us%n",
        sorted.size(), sorted.get(sorted.size() / 2), sorted.get(sorted.size() * 99 / 100));
  }
}
