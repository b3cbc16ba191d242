package dev.coloha.mirror.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.mirror.testing.Faults;
import dev.coloha.mirror.testing.Settings;
import dev.coloha.mirror.testing.VolumePair;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A secondary whose commits are served from the journal and copied into the base in the background,
 * against an in-memory model, over seeded random runs: the primary's writes (random ranges, and
 * sectors written over and over as a log's tail and header), the secondary VM's own writes,
 * barriers marked and committed one or several at a time, reads of the secondary while its
 * committed writes are being copied, restarts of its mirror, crashes after a commit's state and in
 * the middle of the background copy, and a failover at the end. The model: the primary's image at
 * each barrier; the secondary's view is the image at its committed barrier with its own writes
 * since over it. A failing seed replays.
 */
class CommittedWritesModelTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int SIZE = 1 << 20;
  private static final int SECTOR = 512;

  @TempDir Path dir;

  private final Faults faults = new Faults();

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void theSecondarysViewIsAlwaysTheCommittedImageWithItsOwnWritesOverIt(long seed)
      throws Exception {
    Random rnd = new Random(seed);
    VolumeSettings s = Settings.fast().withFaults(faults);
    try (VolumePair pair = new VolumePair(dir, SIZE, 1, Settings.fast(), s)) {
      pair.resync();
      await().atMost(WAIT).until(() -> pair.primary().status().state().equals("REPLICATING"));
      byte[] primary = new byte[SIZE];
      Deque<long[]> marked = new ArrayDeque<>(); // barrier numbers not yet committed
      Deque<byte[]> images = new ArrayDeque<>(); // the primary's image at each of them
      long barrier = 0;
      pair.primary().barrier(1, barrier);
      pair.secondary().commit(1, barrier);
      byte[] view = primary.clone();
      long tail = 64 * SECTOR;

      for (int step = 0; step < 400; step++) {
        int op = rnd.nextInt(100);
        if (op < 35) {
          // the primary writes: a random range, or a log's tail sector and its header slots
          if (rnd.nextBoolean()) {
            write(pair.primary(), primary, rnd, rnd.nextInt(SIZE / SECTOR - 16) * SECTOR, 16);
          } else {
            write(pair.primary(), primary, rnd, tail, 1);
            write(pair.primary(), primary, rnd, rnd.nextInt(2) * SECTOR, 1);
            if (rnd.nextInt(5) == 0) {
              tail = tail + SECTOR < SIZE ? tail + SECTOR : 64 * SECTOR;
            }
          }
        } else if (op < 50) {
          write(pair.secondary(), view, rnd, rnd.nextInt(SIZE / SECTOR - 16) * SECTOR, 16);
        } else if (op < 62) {
          barrier++;
          pair.primary().barrier(1, barrier);
          marked.add(new long[] {barrier});
          images.add(primary.clone());
        } else if (op < 74 && !marked.isEmpty()) {
          // commit the oldest marked barrier, or a later one (the earlier ones commit with it)
          int skip = rnd.nextInt(marked.size());
          for (int i = 0; i < skip; i++) {
            marked.poll();
            images.poll();
          }
          long n = marked.poll()[0];
          byte[] image = images.poll();
          int crash = rnd.nextInt(10);
          if (crash == 0) {
            faults.arm(FaultPoint.COMMIT_AFTER_INTENT);
            assertThatThrownBy(() -> pair.secondary().commit(1, n))
                .isInstanceOf(FaultPoint.SimulatedCrash.class);
            pair.restartSecondary();
          } else if (crash == 1) {
            faults.arm(FaultPoint.COMMIT_MID_APPLY);
            assertThat(pair.secondary().commit(1, n)).isEqualTo(n);
            try {
              pair.secondary().digest(); // copies the rest now, if the background has not yet
            } catch (FaultPoint.SimulatedCrash e) {
              // the crash came here rather than in the background copy
            }
            pair.restartSecondary();
          } else {
            assertThat(pair.secondary().commit(1, n)).isEqualTo(n);
          }
          faults.disarm();
          view = image.clone();
          assertThat(pair.secondary().status().committedBarrier()).isEqualTo(n);
        } else if (op < 96) {
          int sectors = 1 + rnd.nextInt(64);
          long offset = (long) rnd.nextInt(SIZE / SECTOR - sectors + 1) * SECTOR;
          byte[] got = pair.secondary().read(1, offset, sectors * SECTOR);
          assertThat(got)
              .as("seed %d step %d: read of %d sectors at %d", seed, step, sectors, offset)
              .isEqualTo(Arrays.copyOfRange(view, (int) offset, (int) offset + sectors * SECTOR));
        } else {
          pair.restartSecondary(); // the mirror process restarts: nothing the VM saw changes
        }
      }
      assertThat(pair.secondary().read(1, 0, SIZE))
          .as("seed %d: the whole view", seed)
          .isEqualTo(view);

      pair.secondary().failover(1, 2);
      assertThat(pair.secondary().role()).isEqualTo(VolumeRole.PRIMARY);
      assertThat(pair.secondary().read(2, 0, SIZE))
          .as("seed %d: the promoted image", seed)
          .isEqualTo(view);
    }
  }

  private static void write(Volume v, byte[] model, Random rnd, long offset, int maxSectors)
      throws Exception {
    int sectors = 1 + rnd.nextInt(maxSectors);
    byte[] data = new byte[sectors * SECTOR]; // a fresh array: the primary forwards it later
    rnd.nextBytes(data);
    v.write(1, offset, data);
    System.arraycopy(data, 0, model, (int) offset, data.length);
  }
}
