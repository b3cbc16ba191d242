package dev.coloha.coordinator.store;

import static dev.coloha.coordinator.model.TestGroups.group;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.model.GroupState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a new epoch's save costs (a group with its history event, the failover's path): the journal
 * with each save forced to the disk ({@code colo.coordinator.store.fsync=true}, the default), the
 * journal written only, and the H2 store it replaced (kept open, {@code WRITE_DELAY=0}),
 * alternating in rounds so that they see the same machine. Prints the median and p99 of each.
 * docs/benchmarks.md "The coordinator's journal".
 *
 * <pre>
 * java -cp coordinator-service/target/test-classes:coordinator-service/target/classes:$(cat cp.txt) \
 *     dev.coloha.coordinator.store.JournalLatencyHarness [DIR] [SAVES] [ROUNDS]
 * </pre>
 *
 * (DIR on the disk the coordinator's data directory would be on; cp.txt from {@code ./mvnw -o -B
 * -pl coordinator-service -am test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 * -Dmdep.includeScope=test}.)
 */
public final class JournalLatencyHarness {
  private JournalLatencyHarness() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory(Path.of(args.length > 0 ? args[0] : "."), "latency");
    int saves = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    JsonMapper json = JsonMapper.builder().build();
    Map<String, List<Long>> micros = new LinkedHashMap<>();
    for (String kind : List.of("journal, fsync", "journal, no fsync", "h2 (0.1.x)")) {
      micros.put(kind, new ArrayList<>());
    }
    long epoch = 0;
    for (int round = 0; round < rounds; round++) {
      for (String kind : micros.keySet()) {
        Path at = dir.resolve(round + "-" + kind.replaceAll("\\W", ""));
        Files.createDirectories(at);
        CoordinatorStore store =
            switch (kind) {
              case "h2 (0.1.x)" -> H2Store.open(at.resolve("coordinator"));
              default ->
                  JournalCoordinatorStore.open(
                      at.resolve("coordinator.journal"),
                      json,
                      kind.equals("journal, fsync"),
                      8 << 20,
                      1000);
            };
        for (int i = 0; i < saves; i++) {
          epoch++;
          long t0 = System.nanoTime();
          store.save(
              group("kv", epoch, GroupState.FAILING_OVER),
              new GroupEvent(
                  Instant.now(), "kv", "failover", epoch, "FAILING_OVER", "epoch " + epoch),
              1000);
          long us = (System.nanoTime() - t0) / 1000;
          if (round > 0 || i >= saves / 10) { // the first round's start warms the JIT
            micros.get(kind).add(us);
          }
        }
        if (store instanceof AutoCloseable c) {
          c.close();
        }
      }
    }
    System.out.printf(
        "%d saves of a group with its event per store and round, %d rounds, in %s%n",
        saves, rounds, dir);
    for (Map.Entry<String, List<Long>> e : micros.entrySet()) {
      List<Long> s = e.getValue().stream().sorted().toList();
      System.out.printf(
          "%-18s median %6d us  p99 %6d us  max %6d us  (%d saves)%n",
          e.getKey(), s.get(s.size() / 2), s.get(s.size() * 99 / 100), s.getLast(), s.size());
    }
  }
}
