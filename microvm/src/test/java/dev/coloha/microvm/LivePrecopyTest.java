package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.microvm.checkpoint.CaptureKind;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.microvm.checkpoint.PrecopyImage;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.TestGuests;
import dev.coloha.testkit.Resp;
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
      // threshold 0: a round runs whenever the writer dirtied a page, four at most
      LivePrecopy.run(primary, copyInto(image, primary, () -> {}), 4, 0);
      Captured last = primary.capture(1, 0, CaptureKind.PRECOPY_FINAL, true);
      assertThat(last.checkpoint().header().baseSequence())
          .isEqualTo(CheckpointHeader.PRECOPY_BASE);
      assertThat(last.checkpoint().pageCount())
          .as(
              "the final round carries the pages written since the last round, not the whole memory")
          .isLessThan(last.checkpoint().header().memoryPages() * Checkpoint.PAGES_PER_WASM_PAGE);
      Checkpoint full = image.complete(last.checkpoint());
      assertThat(full.header().full()).isTrue();
      assertRestoresTo(full, last.digest());
    } finally {
      busy.set(false);
      writer.join();
      primary.stop();
    }
  }

  /**
   * The pages the VM writes while a round is being sent are dirty for the next round; when that
   * round is small enough to stop, they must still reach the secondary, in the final capture. They
   * did not: the rounds took (and forgot) them to count them, and the final capture carried only
   * the pages written after that, so a secondary re-protected under load had an older counter than
   * its primary (its first answer differed by one).
   */
  @Test
  void pagesWrittenDuringTheLastRoundSentReachTheSecondary() throws Exception {
    RecordingSink sink = new RecordingSink();
    MicroVm primary =
        MicroVm.create(
            "p",
            TestGuests.get("kv"),
            VmConfig.defaults(),
            VmEnvironment.of(BlockDevice.NONE, sink));
    primary.start();
    primary.submit(new InputEvent.Open(1));
    long[] offset = {0};
    Runnable incr =
        () -> {
          byte[] cmd = Resp.command("INCR", "counter");
          long before = sink.produced(1);
          primary.submit(new InputEvent.Data(1, offset[0], cmd));
          offset[0] += cmd.length;
          awaitOutputBeyond(sink, before);
        };
    incr.run();
    try {
      PrecopyImage image = new PrecopyImage(16384);
      // written after its pages were copied in round 0; then the VM is quiet
      LivePrecopy.Result live = LivePrecopy.run(primary, copyInto(image, primary, incr), 8, 256);
      assertThat(live.rounds()).as("the writes of round 0 were few: no second round").isEqualTo(1);
      Captured last = primary.capture(1, 0, CaptureKind.PRECOPY_FINAL, true);
      assertThat(last.checkpoint().pageCount()).isPositive();
      assertRestoresTo(image.complete(last.checkpoint()), last.digest());
    } finally {
      primary.stop();
    }
  }

  /**
   * Sends each round into {@code image}, as the secondary builds it: the pages read racily while
   * the VM runs; {@code afterRound0} runs once round 0 is copied.
   */
  private static LivePrecopy.RoundSender copyInto(
      PrecopyImage image, MicroVm vm, Runnable afterRound0) {
    byte[] page = new byte[Checkpoint.PAGE_SIZE];
    return (memoryPages, pages, round) -> {
      int total = pages == null ? memoryPages * Checkpoint.PAGES_PER_WASM_PAGE : pages.length;
      for (int i = 0; i < total; i++) {
        int p = pages == null ? i : pages[i];
        if (vm.readPageRacy(p, page, 0)) {
          image.put(Math.max(memoryPages, vm.memoryPagesRacy()), p, 1, page, 0);
        }
      }
      if (round == 0) {
        afterRound0.run();
      }
      return total;
    };
  }

  /** A VM restored from {@code full} has the memory the primary had at the final pause. */
  private static void assertRestoresTo(Checkpoint full, byte[] primaryDigest) {
    MicroVm secondary =
        MicroVm.restore(
            "s",
            TestGuests.get("kv"),
            VmConfig.defaults(),
            VmEnvironment.of(BlockDevice.NONE, new RecordingSink()),
            full);
    try {
      byte[] digest = secondary.atBoundary("digest", () -> secondary.memory().digest());
      assertThat(digest)
          .as("secondary memory == primary memory at the final pause")
          .isEqualTo(primaryDigest);
    } finally {
      secondary.stop();
    }
  }

  private static void awaitOutputBeyond(RecordingSink sink, long produced) {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (sink.produced(1) <= produced) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the guest did not answer: " + sink.text(1));
      }
      Thread.onSpinWait();
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
