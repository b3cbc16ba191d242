package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.microvm.checkpoint.CaptureKind;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.microvm.checkpoint.PrecopyImage;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.Resp;
import dev.coloha.microvm.testing.TestGuests;
import dev.coloha.wire.checkpoint.Checkpoint;
import dev.coloha.wire.checkpoint.CheckpointHeader;
import java.security.MessageDigest;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A live initial sync copies pages racily while the VM keeps writing them; the final round makes
 * the copy exact. The image the secondary builds equals the primary's memory at the final pause.
 */
class LivePrecopyTest {

  @Test
  void racyRoundsPlusTheFinalRoundRebuildTheMemoryExactly() throws Exception {
    MicroVm primary =
        MicroVm.create(
            "p",
            TestGuests.get("kv"),
            VmConfig.defaults(),
            VmEnvironment.of(BlockDevice.NONE, new RecordingSink()));
    primary.start();
    primary.submit(new InputEvent.Open(1));
    AtomicBoolean busy = new AtomicBoolean(true);
    Thread writer =
        Thread.ofPlatform()
            .start(
                () -> {
                  long offset = 0;
                  for (int i = 0; busy.get(); i++) {
                    byte[] cmd =
                        Resp.command(
                            "SET", "key:" + (i % 5000), "value-" + i + "-" + "z".repeat(i % 300));
                    primary.submit(new InputEvent.Data(1, offset, cmd));
                    offset += cmd.length;
                    if (i % 64 == 0) {
                      Thread.onSpinWait();
                    }
                  }
                });
    try {
      PrecopyImage image = new PrecopyImage(16384);
      byte[] page = new byte[Checkpoint.PAGE_SIZE];
      int memoryPages = primary.beginPrecopy();
      int total = memoryPages * Checkpoint.PAGES_PER_WASM_PAGE;
      for (int p = 0; p < total; p++) {
        if (primary.readPageRacy(p, page, 0)) {
          image.put(Math.max(memoryPages, primary.memoryPagesRacy()), p, 1, page, 0);
        }
      }
      for (int round = 1; round <= 3; round++) {
        for (int p : primary.precopyRound()) {
          if (primary.readPageRacy(p, page, 0)) {
            image.put(primary.memoryPagesRacy(), p, 1, page, 0);
          }
        }
      }
      Captured last = primary.capture(1, 0, CaptureKind.PRECOPY_FINAL, true);
      assertThat(last.checkpoint().header().baseSequence())
          .isEqualTo(CheckpointHeader.PRECOPY_BASE);
      assertThat(last.checkpoint().pageCount())
          .as(
              "the final round carries the pages written since the last round, not the whole memory")
          .isLessThan(last.checkpoint().header().memoryPages() * Checkpoint.PAGES_PER_WASM_PAGE);
      Checkpoint full = image.complete(last.checkpoint());
      assertThat(full.header().full()).isTrue();

      MicroVm secondary =
          MicroVm.restore(
              "s",
              TestGuests.get("kv"),
              VmConfig.defaults(),
              VmEnvironment.of(BlockDevice.NONE, new RecordingSink()),
              full);
      byte[] digest = secondary.atBoundary("digest", () -> secondary.memory().digest());
      assertThat(digest)
          .as("secondary memory == primary memory at the final pause")
          .isEqualTo(last.digest());
      secondary.stop();
    } finally {
      busy.set(false);
      writer.join();
      primary.stop();
    }
  }

  @Test
  void theImageGrowsWithTheMemoryAndFailsOnNothingButTheFinalRound() throws Exception {
    PrecopyImage image = new PrecopyImage(8);
    byte[] pages = new byte[2 * Checkpoint.PAGE_SIZE];
    pages[0] = 1;
    pages[Checkpoint.PAGE_SIZE] = 2;
    image.put(1, 3, 2, pages, 0);
    image.put(2, 20, 1, pages, Checkpoint.PAGE_SIZE);
    assertThat(image.pagesReceived()).isEqualTo(3);
    byte[] hash = MessageDigest.getInstance("SHA-256").digest(new byte[0]);
    Checkpoint last =
        new Checkpoint(
            new CheckpointHeader("g", hash, 1, 0, CheckpointHeader.PRECOPY_BASE, 2, 0),
            new int[0],
            new byte[0],
            java.util.List.of(),
            dev.coloha.wire.checkpoint.DeviceState.empty());
    Checkpoint full = image.complete(last);
    assertThat(full.pageCount()).isEqualTo(32);
    assertThat(full.pageData()[3 * Checkpoint.PAGE_SIZE]).isEqualTo((byte) 1);
    assertThat(full.pageData()[4 * Checkpoint.PAGE_SIZE]).isEqualTo((byte) 2);
    assertThat(full.pageData()[20 * Checkpoint.PAGE_SIZE]).isEqualTo((byte) 2);
  }
}
