package dev.coloha.coordinator.store;

import static dev.coloha.coordinator.model.TestGroups.group;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.events.GroupEvents;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Host;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * The journal keeps groups (epochs above all), hosts and the history across a reopen; a write cut
 * short at its end is dropped, damage inside refuses the open; compaction keeps the state.
 */
class JournalCoordinatorStoreTest {
  @TempDir Path dir;

  private final List<JournalCoordinatorStore> opened = new ArrayList<>();

  @AfterEach
  void closeAll() throws IOException {
    for (JournalCoordinatorStore s : opened) {
      s.close();
    }
  }

  private Path journal() {
    return dir.resolve("coordinator.journal");
  }

  private JournalCoordinatorStore open() throws IOException {
    return open(8 << 20);
  }

  private JournalCoordinatorStore open(long compactBytes) throws IOException {
    JournalCoordinatorStore s =
        JournalCoordinatorStore.open(
            journal(), JsonMapper.builder().build(), true, compactBytes, 100);
    opened.add(s);
    return s;
  }

  /** Closes the store, as a kill -9 would not: only the lock is let go, nothing more written. */
  private JournalCoordinatorStore reopen(JournalCoordinatorStore s) throws IOException {
    s.close();
    opened.remove(s);
    return open();
  }

  private static GroupEvent event(int i) {
    return new GroupEvent(
        Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i),
        "kv",
        "state",
        i,
        "PROTECTED",
        "event " + i);
  }

  @Test
  void groupsAndHostsSurviveAReopen() throws IOException {
    JournalCoordinatorStore store = open();
    store.save(group("kv", 3, GroupState.PROTECTED));
    store.save(group("web", 1, GroupState.SYNCING));
    // epoch persisted before use; when its state began, persisted too (a restart's timers)
    Instant began = Instant.parse("2026-12-06T10:15:30.123456Z");
    store.save(group("kv", 4, GroupState.FAILING_OVER).withSince(began));
    store.save(new Host("h1", "http://a", "http://m", null, null, true));

    JournalCoordinatorStore again = reopen(store);
    assertThat(again.groups()).extracting(Group::id).containsExactly("kv", "web");
    assertThat(again.group("kv"))
        .contains(group("kv", 4, GroupState.FAILING_OVER).withSince(began));
    assertThat(again.hosts())
        .containsExactly(new Host("h1", "http://a", "http://m", null, null, true));
    again.delete("web");
    assertThat(reopen(again).groups()).extracting(Group::id).containsExactly("kv");
  }

  @Test
  void aGroupAndItsHistoryEventAreOneFrameAndBothSurviveAReopen() throws IOException {
    JournalCoordinatorStore store = open();
    Group failing = group("kv", 6, GroupState.FAILING_OVER);
    GroupEvent event =
        new GroupEvent(
            Instant.parse("2026-12-06T19:41:03Z"), "kv", "failover", 6, "FAILING_OVER", "epoch 6");

    store.save(failing, event, 100);

    // one frame: a crash keeps both or neither
    assertThat(JournalFrames.read(journal(), Files.readAllBytes(journal())).bodies()).hasSize(1);
    JournalCoordinatorStore again = reopen(store);
    assertThat(again.group("kv")).contains(failing);
    assertThat(again.events(10)).containsExactly(event);
  }

  @Test
  void theGroupsHistorySurvivesAReopenNewestKept() throws IOException {
    JournalCoordinatorStore store = open();
    for (int i = 0; i < 200; i++) {
      store.append(event(i), 100);
    }
    JournalCoordinatorStore again = reopen(store);
    List<GroupEvent> back = again.events(100);
    assertThat(back).hasSize(100);
    assertThat(back.getFirst().detail()).isEqualTo("event 100");
    assertThat(back.getLast().detail()).isEqualTo("event 199");
    assertThat(new GroupEvents(10, again).history("kv"))
        .extracting(GroupEvent::epoch)
        .containsExactly(190L, 191L, 192L, 193L, 194L, 195L, 196L, 197L, 198L, 199L);
  }

  @Test
  void aWriteCutShortAtTheEndIsDroppedAndTheSavesBeforeItKept() throws IOException {
    JournalCoordinatorStore store = open();
    store.save(group("kv", 7, GroupState.PROTECTED));
    store.close();
    opened.remove(store);
    long whole = Files.size(journal());
    // the first half of the frame of epoch 8: a kill -9 in the middle of its write
    ByteBuffer frame =
        JournalFrames.frame(
            JsonMapper.builder()
                .build()
                .writeValueAsBytes(JournalEntry.of(group("kv", 8, GroupState.FAILING_OVER))));
    byte[] half = Arrays.copyOf(frame.array(), frame.remaining() / 2);
    Files.write(journal(), half, StandardOpenOption.APPEND);

    JournalCoordinatorStore again = open();
    assertThat(again.group("kv").orElseThrow().epoch()).isEqualTo(7);
    assertThat(Files.size(journal())).isEqualTo(whole);
    again.save(group("kv", 8, GroupState.FAILING_OVER));
    assertThat(reopen(again).group("kv").orElseThrow().epoch()).isEqualTo(8);
  }

  @Test
  void aDamagedFrameFollowedByWholeOnesRefusesTheOpenNamingFileAndOffset() throws IOException {
    JournalCoordinatorStore store = open();
    store.save(group("kv", 1, GroupState.PROTECTED));
    long second = Files.size(journal());
    store.save(group("web", 1, GroupState.PROTECTED));
    store.save(group("kv", 2, GroupState.PROTECTED));
    store.close();
    opened.remove(store);
    byte[] bytes = Files.readAllBytes(journal());
    bytes[(int) second + JournalFrames.FRAME_HEAD + 20] ^= 0x40; // a bit flipped in web's body
    Files.write(journal(), bytes);

    assertThatThrownBy(this::open)
        .isInstanceOf(CorruptJournalException.class)
        .hasMessageContaining(journal().toString())
        .hasMessageContaining("offset " + second);
    assertThat(Files.readAllBytes(journal())).as("left as it was").isEqualTo(bytes);
  }

  @Test
  void aFileThatIsNotAJournalRefusesTheOpen() throws IOException {
    Files.writeString(journal(), "{\"groups\": []}");
    assertThatThrownBy(this::open)
        .isInstanceOf(CorruptJournalException.class)
        .hasMessageContaining("header");
  }

  @Test
  void aJournalPastItsLimitIsCompactedToTheStateAndReplaysTheSame() throws IOException {
    JournalCoordinatorStore store = open(16 << 10);
    for (int i = 1; i <= 300; i++) {
      store.save(group("kv", i, GroupState.PROTECTED), event(i), 20);
      store.save(new Host("h" + (i % 3), "http://a", null, null, null, false));
    }
    store.delete("gone");
    assertThat(store.compactions()).isPositive();
    assertThat(Files.size(journal())).isLessThan((16 << 10) + 4096);
    assertThat(Files.exists(dir.resolve("coordinator.journal.tmp"))).isFalse();

    JournalCoordinatorStore again = reopen(store);
    assertThat(again.group("kv").orElseThrow().epoch()).isEqualTo(300);
    assertThat(again.hosts()).extracting(Host::name).containsExactly("h0", "h1", "h2");
    assertThat(again.events(100)).hasSizeGreaterThanOrEqualTo(20);
    assertThat(again.events(1).getFirst().epoch()).isEqualTo(300);
  }

  @Test
  void aCompactionLeftHalfWrittenByACrashIsIgnored() throws IOException {
    JournalCoordinatorStore store = open();
    store.save(group("kv", 5, GroupState.PROTECTED));
    store.close();
    opened.remove(store);
    // a crash while the state was being written to the temporary file, before its rename
    Files.write(dir.resolve("coordinator.journal.tmp"), Arrays.copyOf(JournalFrames.HEADER, 5));

    JournalCoordinatorStore again = open(64);
    assertThat(again.group("kv").orElseThrow().epoch()).isEqualTo(5);
    again.save(group("kv", 6, GroupState.PROTECTED)); // compacts: the leftover is overwritten
    assertThat(again.compactions()).isEqualTo(1);
    assertThat(reopen(again).group("kv").orElseThrow().epoch()).isEqualTo(6);
  }

  @Test
  void aSecondStoreOnTheSameJournalIsRefused() throws IOException {
    open();
    assertThatThrownBy(this::open)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("in use by another coordinator")
        .hasMessageContaining(journal().toString());
  }
}
