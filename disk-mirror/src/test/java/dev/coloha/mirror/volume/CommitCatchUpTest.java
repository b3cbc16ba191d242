package dev.coloha.mirror.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.mirror.metrics.MirrorMetrics;
import dev.coloha.mirror.testing.Settings;
import dev.coloha.mirror.testing.VolumePair;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commit's catch-up rule (docs/disk-mirror.md "Barriers, commit, failover"): a commit that
 * finds the background copy of earlier commits behind by at least twice {@code
 * secondary.journal-compact-bytes} copies every committed write into the base itself before it
 * returns; below that it leaves them to the background copy, served from the journal meanwhile and
 * counted by {@code colo_mirror_unapplied_sectors}. The background copy is held back by a fault
 * point that fails it (on its own thread only) half-way through each attempt.
 */
class CommitCatchUpTest {
  private static final int SIZE = 1 << 20;
  private static final int SECTOR = 512;
  private static final int SECTORS = 40; // ~21 KiB of journal records

  @TempDir Path dir;

  /** Fails the background copy (thread {@code mirror-apply-*}) in the middle of each attempt. */
  private static final class StalledCopy implements FaultPoint {
    final AtomicInteger stalls = new AtomicInteger();

    @Override
    public boolean armed(String point) {
      return point.equals(COMMIT_MID_APPLY);
    }

    @Override
    public void reached(String point) {
      if (point.equals(COMMIT_MID_APPLY)
          && Thread.currentThread().getName().startsWith("mirror-apply-")) {
        stalls.incrementAndGet();
        throw new SimulatedCrash(point);
      }
    }
  }

  private static VolumeSettings secondary(long journalCompactBytes, FaultPoint faults) {
    VolumeSettings s = Settings.fast();
    VolumeSettings.Secondary d = s.secondary();
    return s.withSecondary(
            new VolumeSettings.Secondary(
                d.maxPendingBytes(),
                d.maxOverlayBytes(),
                d.commitTimeout(),
                journalCompactBytes,
                d.receiveStallTimeout()))
        .withFaults(faults);
  }

  /**
   * Commits barrier 1 over {@link #SECTORS} distinct sectors with the background copy stalled, then
   * barrier 2 over one more sector.
   *
   * @return the secondary's unapplied sectors after barrier 1's commit (its copy stalled) and right
   *     after barrier 2's commit returned
   */
  private int[] commitTwice(long journalCompactBytes, SimpleMeterRegistry registry)
      throws Exception {
    StalledCopy stalled = new StalledCopy();
    try (VolumePair pair =
        new VolumePair(dir, SIZE, 1, Settings.fast(), secondary(journalCompactBytes, stalled))) {
      pair.resync();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> pair.primary().status().state().equals("REPLICATING"));
      pair.primary().barrier(1, 0);
      pair.secondary().commit(1, 0);
      MirrorMetrics metrics = new MirrorMetrics(registry);
      metrics.added(pair.secondary());

      byte[] data = new byte[SECTOR];
      for (int i = 0; i < SECTORS; i++) {
        // a new buffer a write: the primary's volume queues it for the replica stream as it is,
        // as the frames it decodes are
        data = new byte[SECTOR];
        Arrays.fill(data, (byte) (i + 1));
        pair.primary().write(1, (long) (2 * i) * SECTOR, data); // not adjacent: one run each
      }
      pair.primary().barrier(1, 1);
      pair.secondary().commit(1, 1);
      await().atMost(Duration.ofSeconds(30)).until(() -> stalled.stalls.get() >= 1);
      int afterFirst = pair.secondary().unappliedSectors();
      assertThat(
              registry
                  .get("colo.mirror.unapplied.sectors")
                  .tags("volume", pair.secondary().id())
                  .gauge()
                  .value())
          .as("the gauge of a secondary whose committed writes wait for their copy")
          .isEqualTo(afterFirst);

      pair.primary().write(1, (long) (2 * SECTORS) * SECTOR, data);
      pair.primary().barrier(1, 2);
      pair.secondary().commit(1, 2);
      int afterSecond = pair.secondary().unappliedSectors();

      // whatever the copy's state, the secondary reads the committed writes
      assertThat(pair.secondary().read(1, 0, SECTOR)[0]).isEqualTo((byte) 1);
      assertThat(pair.secondary().read(1, (long) (2 * (SECTORS - 1)) * SECTOR, SECTOR)[0])
          .isEqualTo((byte) SECTORS);
      metrics.removed(pair.secondary().id());
      return new int[] {afterFirst, afterSecond};
    }
  }

  @Test
  void aCommitFarBehindItsBackgroundCopyFinishesTheCopyBeforeItReturns() throws Exception {
    // 4 KiB: the ~21 KiB committed at barrier 1 are more than twice that
    int[] unapplied = commitTwice(4096, new SimpleMeterRegistry());
    assertThat(unapplied[0]).as("barrier 1's sectors wait for the stalled copy").isEqualTo(SECTORS);
    assertThat(unapplied[1]).as("barrier 2's commit copied every committed write").isZero();
  }

  @Test
  void aCommitLessBehindLeavesTheCopyToTheBackground() throws Exception {
    // 1 MiB: ~21 KiB behind is well under twice that
    int[] unapplied = commitTwice(1 << 20, new SimpleMeterRegistry());
    assertThat(unapplied[0]).isEqualTo(SECTORS);
    assertThat(unapplied[1]).as("nothing copied by the commit").isEqualTo(SECTORS + 1);
  }
}
