package dev.coloha.mirror.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.mirror.testing.Settings;
import dev.coloha.mirror.testing.VolumePair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secondary holds the primary's forwarded writes in memory until a commit needs them ({@code
 * colo.mirror.secondary.max-held-bytes}): none reaches the journal's file, nor is acknowledged,
 * before the commit, which writes them in one batch (acknowledged with the stream's next frames);
 * more than the limit are written at once; held writes lost with the secondary's process are sent
 * again by the primary; a failover drops the uncommitted ones.
 */
class HeldJournalTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final long MB = 1 << 20;
  private static final long E = 1;
  private static final int WRITES = 10;
  private static final int BLOCK = 4096;

  @TempDir Path dir;

  /** A primary that never goes idle during a test: no heartbeat writes the held records. */
  private static VolumeSettings busyPrimary() {
    VolumeSettings f = Settings.fast();
    VolumeSettings.Replication r = f.replication();
    return f.withReplication(
        new VolumeSettings.Replication(
            r.maxPendingBytes(),
            r.maxPendingWrites(),
            r.backpressureTimeout(),
            Duration.ofMinutes(5),
            Duration.ofMinutes(5),
            r.connectTimeout(),
            r.reconnectBackoff(),
            r.maxReconnectBackoff()));
  }

  private VolumePair pair(long maxHeldBytes) throws Exception {
    return pair(maxHeldBytes, busyPrimary());
  }

  private VolumePair pair(long maxHeldBytes, VolumeSettings primary) throws Exception {
    VolumeSettings s =
        Settings.fast().withSecondary(Settings.fast().secondary().withMaxHeldBytes(maxHeldBytes));
    VolumePair pair = new VolumePair(dir, 4 * MB, E, primary, s);
    pair.resync();
    await().atMost(WAIT).until(() -> pair.primary().status().state().equals("REPLICATING"));
    pair.primary().barrier(E, 0);
    pair.secondary().commit(E, 0);
    return pair;
  }

  private static long journalBytes(Volume v) throws IOException {
    try (Stream<Path> files = Files.list(v.dir())) {
      long n = 0;
      for (Path p : files.filter(f -> f.getFileName().toString().startsWith("journal-")).toList()) {
        n += Files.size(p);
      }
      return n;
    }
  }

  /** {@link #WRITES} writes of {@link #BLOCK} bytes at distinct offsets; their contents. */
  private static byte[] writeAll(Volume p, int seed) throws IOException {
    byte[] all = new byte[WRITES * BLOCK];
    new Random(seed).nextBytes(all);
    for (int i = 0; i < WRITES; i++) {
      byte[] b = new byte[BLOCK];
      System.arraycopy(all, i * BLOCK, b, 0, BLOCK);
      p.write(E, (long) i * BLOCK, b);
    }
    return all;
  }

  private static void awaitReceived(Volume s, int writes) {
    await().atMost(WAIT).until(() -> s.status().pendingWrites() == writes);
  }

  @Test
  void theForwardedWritesReachTheJournalFileOnlyAtTheCommitAndAreAcknowledgedThen()
      throws Exception {
    try (VolumePair pair = pair(8 * MB)) {
      Volume p = pair.primary();
      Volume s = pair.secondary();
      long before = journalBytes(s);
      byte[] data = writeAll(p, 7);
      p.barrier(E, 1);
      awaitReceived(s, WRITES);

      assertThat(journalBytes(s)).as("held in memory, not in the journal's file").isEqualTo(before);
      // held writes are not acknowledged (barrier 0, written by its commit, is)
      await().atMost(WAIT).until(() -> p.status().replication().lagFrames() == WRITES + 1);

      s.commit(E, 1);
      assertThat(journalBytes(s))
          .as("written by the commit")
          .isGreaterThanOrEqualTo(before + (long) WRITES * BLOCK);
      assertThat(s.read(E, 0, WRITES * BLOCK)).isEqualTo(data);
      // acknowledged with the stream's next frames: only the one after the commit is not
      p.write(E, 2 * MB, new byte[512]);
      await().atMost(WAIT).until(() -> p.status().replication().lagFrames() == 1);
    }
  }

  @Test
  void writesBeyondTheLimitAreWrittenAtOnce() throws Exception {
    try (VolumePair pair = pair(4 * BLOCK)) {
      Volume p = pair.primary();
      Volume s = pair.secondary();
      long before = journalBytes(s);
      writeAll(p, 11);
      awaitReceived(s, WRITES);
      long written = journalBytes(s) - before;
      assertThat(written)
          .as("all but the last ones, at most the limit of them")
          .isGreaterThanOrEqualTo((long) (WRITES - 4) * BLOCK)
          .isLessThan((long) WRITES * BLOCK);
      await()
          .atMost(WAIT)
          .until(() -> p.status().replication().lagFrames() <= 4); // the written ones acknowledged
    }
  }

  @Test
  void heldWritesLostWithTheSecondarysProcessAreSentAgain() throws Exception {
    // heartbeats: the primary notices the lost stream (the test transport's close is silent)
    try (VolumePair pair = pair(8 * MB, Settings.fast())) {
      Volume p = pair.primary();
      byte[] data = writeAll(p, 13);
      p.barrier(E, 1);
      awaitReceived(pair.secondary(), WRITES);

      pair.restartSecondary(); // the held writes are gone with the process
      Volume s = pair.secondary();
      s.commit(E, 1); // waits for barrier 1, sent again with the writes before it
      assertThat(s.read(E, 0, WRITES * BLOCK)).isEqualTo(data);
    }
  }

  @Test
  void aFailoverKeepsTheCommittedWritesAndDropsTheHeldUncommittedOnes() throws Exception {
    try (VolumePair pair = pair(8 * MB)) {
      Volume p = pair.primary();
      Volume s = pair.secondary();
      byte[] committed = writeAll(p, 17);
      p.barrier(E, 1);
      s.commit(E, 1);
      writeAll(p, 19); // the same sectors, never committed
      p.barrier(E, 2);
      awaitReceived(s, WRITES);

      s.failover(E, E + 1);
      assertThat(s.role()).isEqualTo(VolumeRole.PRIMARY);
      assertThat(s.read(E + 1, 0, WRITES * BLOCK))
          .as("the primary's disk as of the last commit")
          .isEqualTo(committed);
    }
  }
}
