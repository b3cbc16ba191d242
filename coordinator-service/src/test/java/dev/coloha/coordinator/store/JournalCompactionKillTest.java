package dev.coloha.coordinator.store;

import static dev.coloha.coordinator.model.TestGroups.group;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * A {@code kill -9} in the middle of a compaction leaves a whole journal, old or new: a child
 * process holding 200 groups saves one group's rising epoch with a journal limit so low that each
 * save rewrites the whole state (most of its time is spent compacting), printing each epoch once
 * its save returned; killed at a random moment, the journal opened again holds all 200 groups and
 * at least the last printed epoch.
 */
class JournalCompactionKillTest {
  @TempDir Path dir;

  static final int GROUPS = 200;

  /** The child: args file. Prints "epoch compactions" per save. */
  public static void main(String[] args) throws Exception {
    JournalCoordinatorStore store = JournalOpener.open(Path.of(args[0]), 1);
    long epoch = store.group("kv").orElseThrow().epoch();
    while (true) {
      epoch++;
      store.save(group("kv", epoch, GroupState.FAILING_OVER));
      System.out.println(epoch + " " + store.compactions());
      System.out.flush();
    }
  }

  @Test
  void aKillDuringACompactionLeavesAWholeJournal() throws Exception {
    Path file = dir.resolve("coordinator.journal");
    List<Group> groups =
        IntStream.range(0, GROUPS)
            .mapToObj(i -> group(i == 0 ? "kv" : "g" + i, 1, GroupState.PROTECTED))
            .toList();
    JournalCoordinatorStore.create(
            file,
            JsonMapper.builder().build(),
            true,
            8 << 20,
            100,
            new JournalCoordinatorStore.StoreState(groups, List.of(), List.of()))
        .close();
    long compactions = 0;
    for (int round = 0; round < 3; round++) {
      Process child =
          ChildJvm.start(
              JournalCompactionKillTest.class, ProcessBuilder.Redirect.DISCARD, file.toString());
      long killAfter = 3 + ThreadLocalRandom.current().nextLong(20);
      long printed = 0;
      int saves = 0;
      try (BufferedReader out =
          new BufferedReader(
              new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          String[] f = line.split(" ");
          if (f.length != 2) {
            continue; // a line cut by the kill
          }
          printed = Long.parseLong(f[0]);
          compactions = Math.max(compactions, Long.parseLong(f[1]));
          if (++saves == killAfter) {
            // SIGKILL, in the next save's compaction most likely: each save compacts
            child.toHandle().destroyForcibly();
          }
        }
      }
      child.waitFor();
      assertThat(saves).as("round %d: the child saved", round).isGreaterThanOrEqualTo(3);
      try (JournalCoordinatorStore again = JournalOpener.open(file, 8 << 20)) {
        assertThat(again.groups()).as("round %d: every group", round).hasSize(GROUPS);
        assertThat(again.group("kv").orElseThrow().epoch())
            .as("round %d: the epoch after the kill", round)
            .isGreaterThanOrEqualTo(printed);
      }
    }
    assertThat(compactions).as("the children compacted").isPositive();
  }
}
