package dev.coloha.wire.block;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A secondary's overlay hold past its bound: only the oldest held writes go to the mirror, as many
 * as bring the hold back under the bound by a primary's hold, never the whole hold at once (a burst
 * the size of the hold stalled the secondary VM and the commit after it, issue 18).
 */
class WriteBehindSecondaryHoldTest {
  private static final int SECTOR = BlockLimits.SECTOR_SIZE;
  private static final int SIZE = 64 * SECTOR;

  // hold 8 sectors; a primary's hold of 1 sector; the queue far above both
  private static final WriteBehind.Limits LIMITS =
      new WriteBehind.Limits(
          64, 64L * SECTOR, Duration.ofSeconds(30), Duration.ofHours(1), SECTOR, 8L * SECTOR);

  private static byte[] sectors(int fill, int n) {
    byte[] b = new byte[n * SECTOR];
    Arrays.fill(b, (byte) fill);
    return b;
  }

  @Test
  void pastTheBoundOnlyTheOldestHeldWritesGoAndTheRestStayHeldInOrder() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 3).secondary();
    try (WriteBehind disk = new WriteBehind(() -> new MemoryPipe(volume, 4 * SECTOR), LIMITS)) {
      for (int i = 0; i < 12; i++) { // sectors 0, 2, 4, ...: none continues another
        disk.write(2L * i * SECTOR, sectors(i + 1, 1), 0, SECTOR);
      }
      // the 8th write reached the bound: one went, 7 stayed; each later one sent the oldest
      assertThat(volume.writesQueued()).as("overlay writes sent to the mirror").isEqualTo(5);

      byte[] back = new byte[SECTOR];
      disk.read(0, back, 0, SECTOR); // the oldest: on the mirror
      assertThat(back).isEqualTo(sectors(1, 1));
      disk.read(22L * SECTOR, back, 0, SECTOR); // the newest: still held, laid over
      assertThat(back).isEqualTo(sectors(12, 1));
      disk.write(8L * SECTOR, sectors(50, 1), 0, SECTOR); // over a sent one (the 5th write)
      disk.read(8L * SECTOR, back, 0, SECTOR);
      assertThat(back).as("a held write over a sent one wins").isEqualTo(sectors(50, 1));
      assertThat(volume.writesQueued()).as("reads send nothing").isEqualTo(6);

      long dropped = disk.droppedWrites();
      assertThat(disk.commit(1)).isEqualTo(1);
      assertThat(disk.droppedWrites() - dropped).as("held writes the commit dropped").isEqualTo(7);
      assertThat(disk.pendingWrites()).isZero();
      assertThat(volume.writesQueued()).as("the commit drops the held ones").isEqualTo(6);
      disk.read(22L * SECTOR, back, 0, SECTOR);
      assertThat(back).as("the overlay is gone with the commit").isEqualTo(new byte[SECTOR]);
    }
  }
}
