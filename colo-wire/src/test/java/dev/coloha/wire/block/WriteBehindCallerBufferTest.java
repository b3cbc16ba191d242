package dev.coloha.wire.block;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A write's bytes are taken during the call: the VM's {@code disk_write} hands the device the VM's
 * own memory (no copy first), and the guest reuses its buffer right after the call, while the write
 * is still held or queued. Whether the write is held on its own, combined into the held write
 * before it, or sent at once, what reaches the mirror is what the buffer held at the call.
 */
class WriteBehindCallerBufferTest {
  private static final int SECTOR = BlockLimits.SECTOR_SIZE;
  private static final int SIZE = 64 * SECTOR;

  /** One buffer standing for the VM's memory: the write's bytes at {@code at}. */
  private final byte[] memory = new byte[16 * SECTOR];

  private void guestWrites(WriteBehind disk, long offset, int at, int sectors, int fill) {
    Arrays.fill(memory, at, at + sectors * SECTOR, (byte) fill);
    disk.write(offset, memory, at, sectors * SECTOR);
    Arrays.fill(memory, (byte) 0x7f); // the guest reuses its buffer at once
  }

  private static byte[] image(int... fills) {
    byte[] img = new byte[SIZE];
    for (int i = 0; i < fills.length; i++) {
      Arrays.fill(img, i * SECTOR, (i + 1) * SECTOR, (byte) fills[i]);
    }
    return img;
  }

  @Test
  void heldAndCombinedWritesKeepTheBytesOfTheCall() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 11);
    WriteBehind.Limits holdLong =
        new WriteBehind.Limits(
            16, 16L * SECTOR, Duration.ofSeconds(30), Duration.ofHours(1), 1 << 20);
    try (WriteBehind disk = new WriteBehind(() -> new MemoryPipe(volume, 8 * SECTOR), holdLong)) {
      guestWrites(disk, 0, 3 * SECTOR, 1, 1); // held on its own
      guestWrites(disk, SECTOR, 5 * SECTOR, 2, 2); // continues it: combined (the held buffer grows)
      guestWrites(disk, 2 * SECTOR, 0, 1, 3); // overlaps it: combined
      guestWrites(disk, 6 * SECTOR, 7 * SECTOR, 1, 4); // a gap: held on its own
      assertThat(disk.combinedWrites()).isEqualTo(2);
      assertThat(volume.writesApplied).as("all still held").isZero();
      disk.flush();
      assertThat(volume.durable()).isEqualTo(image(1, 2, 3, 0, 0, 0, 4));
    }
  }

  @Test
  void writesSentAtOnceKeepTheBytesOfTheCall() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 12);
    WriteBehind.Limits noHold =
        new WriteBehind.Limits(16, 16L * SECTOR, Duration.ofSeconds(30), Duration.ZERO, 0);
    try (WriteBehind disk = new WriteBehind(() -> new MemoryPipe(volume, 8 * SECTOR), noHold)) {
      for (int i = 0; i < 8; i++) {
        guestWrites(disk, i * SECTOR, (i % 3) * SECTOR, 1, i + 1);
      }
      disk.flush();
      assertThat(volume.durable()).isEqualTo(image(1, 2, 3, 4, 5, 6, 7, 8));
    }
  }
}
