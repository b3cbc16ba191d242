package dev.coloha.mirror.volume;

import static dev.coloha.mirror.testing.VolumePair.randomWrites;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.mirror.testing.Faults;
import dev.coloha.mirror.testing.Settings;
import dev.coloha.mirror.testing.VolumePair;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A secondary's mirror dies in the middle of its crash-sensitive steps (named fault points) or its
 * journal is torn; reopened from its files, it is consistent: an interrupted commit or failover is
 * finished, a torn record is dropped and sent again by the primary.
 */
class CrashRecoveryTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final long MB = 1 << 20;

  @TempDir Path dir;

  private final Faults faults = new Faults();

  private VolumePair pair() throws Exception {
    VolumeSettings s = Settings.fast().withFaults(faults);
    VolumePair pair = new VolumePair(dir, 4 * MB, 1, Settings.fast(), s);
    pair.resync();
    await().atMost(WAIT).until(() -> pair.primary().status().state().equals("REPLICATING"));
    pair.primary().barrier(1, 0);
    pair.secondary().commit(1, 0);
    return pair;
  }

  @ParameterizedTest
  @ValueSource(strings = {FaultPoint.COMMIT_AFTER_INTENT, FaultPoint.COMMIT_MID_APPLY})
  void aCommitInterruptedByACrashIsFinishedOnRestart(String point) throws Exception {
    try (VolumePair pair = pair()) {
      Volume p = pair.primary();
      Random rnd = new Random(11);
      randomWrites(p, 1, rnd, 80);
      p.barrier(1, 1);
      String atBarrier = p.digest().base();
      randomWrites(p, 1, rnd, 20);
      randomWrites(pair.secondary(), 1, rnd, 20);
      assertThat(p.awaitReplicated(30, TimeUnit.SECONDS)).isTrue();

      faults.arm(point);
      crashInCommit(pair, point, 1);
      pair.restartSecondary();

      Volume s = pair.secondary();
      assertThat(s.status().committedBarrier()).isEqualTo(1);
      assertThat(s.status().overlayBytes()).isZero();
      assertThat(s.digest().view()).isEqualTo(atBarrier);
      assertThat(s.status().pendingWrites()).as("the hidden tail after barrier 1").isPositive();

      // the primary reconnects to the restarted mirror and carries on
      randomWrites(p, 1, rnd, 20);
      p.barrier(1, 2);
      s.commit(1, 2);
      assertThat(s.digest().view()).isEqualTo(p.digest().base());
    }
  }

  /**
   * Commits {@code barrier} with a crash armed at {@code point}: a crash after the commit's state
   * fails the commit; a crash while the committed writes are copied into the base comes after the
   * commit returned (the copy runs in the background, the secondary VM does not wait for it).
   */
  private void crashInCommit(VolumePair pair, String point, long barrier) throws IOException {
    if (point.equals(FaultPoint.COMMIT_MID_APPLY)) {
      assertThat(pair.secondary().commit(1, barrier)).isEqualTo(barrier);
      await().atMost(WAIT).until(() -> !faults.armed(point));
    } else {
      assertThatThrownBy(() -> pair.secondary().commit(1, barrier))
          .isInstanceOf(FaultPoint.SimulatedCrash.class);
    }
  }

  /** The kv guest's pattern: its log's tail sector rewritten as it grows, two header slots. */
  private static void logLikeWrites(Volume v, Random rnd, int commands) throws IOException {
    long tail = 64 << 10;
    for (int c = 0; c < commands; c++) {
      v.write(1, tail, bytes(rnd, 512));
      if (c % 7 == 6) {
        tail += 512;
      }
      v.write(1, 0, bytes(rnd, 512));
      v.write(1, 512, bytes(rnd, 512));
    }
    v.write(1, 0, bytes(rnd, 1024)); // overwrites both header slots at once
    v.write(1, 0, bytes(rnd, 512)); // a shorter write after it keeps the longer one's second half
  }

  private static byte[] bytes(Random rnd, int n) {
    byte[] b = new byte[n]; // a fresh array each: the primary forwards it after the write returns
    rnd.nextBytes(b);
    return b;
  }

  @ParameterizedTest
  @ValueSource(strings = {"", FaultPoint.COMMIT_MID_APPLY})
  void aCommitOfSectorsWrittenOverAndOverEndsWithTheirLastContents(String point) throws Exception {
    try (VolumePair pair = pair()) {
      Volume p = pair.primary();
      Random rnd = new Random(17);
      logLikeWrites(p, rnd, 300);
      p.barrier(1, 1);
      String atBarrier = p.digest().base();
      logLikeWrites(p, rnd, 20);
      assertThat(p.awaitReplicated(30, TimeUnit.SECONDS)).isTrue();

      if (!point.isEmpty()) {
        faults.arm(point);
        crashInCommit(pair, point, 1);
        pair.restartSecondary();
      } else {
        pair.secondary().commit(1, 1);
      }
      assertThat(pair.secondary().digest().view()).isEqualTo(atBarrier);
      p.barrier(1, 2);
      pair.secondary().commit(1, 2);
      assertThat(pair.secondary().digest().view()).isEqualTo(p.digest().base());
    }
  }

  @Test
  void aCommitLeftToThePageCacheNeedsAResyncOnceTheHostRestarted() throws Exception {
    try (VolumePair pair = pair()) {
      Volume p = pair.primary();
      Random rnd = new Random(18);
      randomWrites(p, 1, rnd, 40);
      p.barrier(1, 1);
      pair.secondary().commit(1, 1);
      String atBarrier = p.digest().base();

      pair.restartSecondary(); // the mirror restarts, the host did not: the page cache has it all
      assertThat(pair.secondary().status().state()).isEqualTo("IN_SYNC");
      assertThat(pair.secondary().status().committedBarrier()).isEqualTo(1);
      assertThat(pair.secondary().digest().view()).isEqualTo(atBarrier);

      pair.transport().down(true);
      pair.restartSecondary(Settings.fast().withFaults(faults).withHostBoot("a-later-boot"));
      assertThat(pair.secondary().status().state())
          .as("its files may have lost what the page cache held")
          .isEqualTo("UNSYNCED");
      assertThat(pair.secondary().status().committedBarrier()).isEqualTo(-1);
    }
  }

  @Test
  void underTheFsyncPolicyACommitIsTrustedAfterTheHostRestarted() throws Exception {
    VolumeSettings s = Settings.fast().withFlushPolicy(FlushPolicy.FSYNC);
    try (VolumePair pair = new VolumePair(dir, 4 * MB, 1, Settings.fast(), s)) {
      pair.resync();
      await().atMost(WAIT).until(() -> pair.primary().status().state().equals("REPLICATING"));
      Volume p = pair.primary();
      randomWrites(p, 1, new Random(19), 40);
      p.barrier(1, 1);
      pair.secondary().commit(1, 1);
      String atBarrier = p.digest().base();

      pair.transport().down(true);
      pair.restartSecondary(s.withHostBoot("a-later-boot"));
      assertThat(pair.secondary().status().state()).isEqualTo("IN_SYNC");
      assertThat(pair.secondary().status().committedBarrier()).isEqualTo(1);
      assertThat(pair.secondary().digest().view()).isEqualTo(atBarrier);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {FaultPoint.FAILOVER_AFTER_INTENT, FaultPoint.FAILOVER_MID_MERGE})
  void aFailoverInterruptedByACrashIsFinishedOnRestart(String point) throws Exception {
    try (VolumePair pair = pair()) {
      Volume p = pair.primary();
      Random rnd = new Random(12);
      randomWrites(p, 1, rnd, 40);
      p.barrier(1, 1);
      pair.secondary().commit(1, 1);
      randomWrites(pair.secondary(), 1, rnd, 40);
      randomWrites(p, 1, rnd, 40);
      assertThat(p.awaitReplicated(30, TimeUnit.SECONDS)).isTrue();
      String before = pair.secondary().digest().view();

      faults.arm(point);
      assertThatThrownBy(() -> pair.secondary().failover(1, 2))
          .isInstanceOf(FaultPoint.SimulatedCrash.class);
      pair.transport().down(true);
      pair.restartSecondary();

      Volume s = pair.secondary();
      assertThat(s.role()).isEqualTo(VolumeRole.PRIMARY);
      assertThat(s.epoch()).isEqualTo(2);
      assertThat(s.digest().base()).isEqualTo(before);
      try (Stream<Path> files = Files.list(dir.resolve(VolumePair.S))) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .containsExactlyInAnyOrder("meta", "base.img");
      }
    }
  }

  @Test
  void aJournalRecordTornByACrashIsDroppedAndSentAgain() throws Exception {
    try (VolumePair pair = pair()) {
      Volume p = pair.primary();
      Random rnd = new Random(13);
      randomWrites(p, 1, rnd, 10);
      assertThat(p.awaitReplicated(30, TimeUnit.SECONDS)).isTrue();
      assertThat(pair.secondary().status().pendingWrites()).isEqualTo(10);

      faults.arm(FaultPoint.JOURNAL_TORN_APPEND);
      pair.transport().down(true);
      byte[] big = new byte[64 << 10];
      rnd.nextBytes(big);
      p.write(1, 0, big); // reaches the secondary, which dies half-way through journaling it
      await().atMost(WAIT).until(() -> !faults.armed(FaultPoint.JOURNAL_TORN_APPEND));
      pair.restartSecondary();
      assertThat(pair.secondary().status().pendingWrites()).isEqualTo(10);

      pair.transport().down(false);
      p.barrier(1, 1);
      pair.secondary().commit(1, 1);
      assertThat(pair.secondary().digest().view()).isEqualTo(p.digest().base());
    }
  }

  @Test
  void aJournalCutInTheMiddleOfARecordReopensWithTheWholeRecordsOnly() throws Exception {
    Path vdir;
    try (VolumePair pair = pair()) {
      Volume p = pair.primary();
      randomWrites(p, 1, new Random(14), 12);
      assertThat(p.awaitReplicated(30, TimeUnit.SECONDS)).isTrue();
      assertThat(pair.secondary().status().pendingWrites()).isEqualTo(12);
      pair.transport().down(true);
      pair.primary().close();
      pair.secondary().close();
      vdir = dir.resolve(VolumePair.S);
    }
    Path journal;
    try (Stream<Path> files = Files.list(vdir)) {
      journal =
          files.filter(f -> f.getFileName().toString().startsWith("journal-")).findFirst().get();
    }
    try (FileChannel ch = FileChannel.open(journal, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 100); // the last record loses its end
    }
    Volume s = Volume.open(vdir, Settings.fast(), VolumeObserver.NONE, (u, v) -> null);
    try {
      assertThat(s.status().pendingWrites()).isEqualTo(11);
      assertThat(s.status().committedBarrier()).isZero();
      assertThat(s.status().state()).isEqualTo("IN_SYNC");
    } finally {
      s.close();
    }
  }

  @Test
  void aCompactedJournalKeepsItsPendingWritesAndSequenceAcrossARestart() throws Exception {
    VolumeSettings s =
        Settings.fast()
            .withSecondary(
                new VolumeSettings.Secondary(
                    256L << 20,
                    256L << 20,
                    Duration.ofSeconds(20),
                    64 << 10,
                    Duration.ofSeconds(20)));
    try (VolumePair pair = new VolumePair(dir, 4 * MB, 1, Settings.fast(), s)) {
      pair.resync();
      await().atMost(WAIT).until(() -> pair.primary().status().state().equals("REPLICATING"));
      Volume p = pair.primary();
      Random rnd = new Random(15);
      for (long barrier = 0; barrier < 5; barrier++) {
        randomWrites(p, 1, rnd, 40);
        p.barrier(1, barrier);
        randomWrites(p, 1, rnd, 10); // stays pending across the compaction
        pair.secondary().commit(1, barrier);
      }
      assertThat(p.awaitReplicated(30, TimeUnit.SECONDS)).isTrue();
      long pending = pair.secondary().status().pendingWrites();
      assertThat(pending).isEqualTo(10);
      try (Stream<Path> files = Files.list(dir.resolve(VolumePair.S))) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .as("the journal was rewritten at least once")
            .anyMatch(n -> n.matches("journal-([3-9]|[1-9][0-9]+)\\.log"));
      }

      pair.restartSecondary(s);
      assertThat(pair.secondary().status().pendingWrites()).isEqualTo(pending);
      randomWrites(p, 1, rnd, 20); // the primary resumes after the last frame held
      p.barrier(1, 5);
      pair.secondary().commit(1, 5);
      assertThat(pair.secondary().digest().view()).isEqualTo(p.digest().base());
    }
  }
}
