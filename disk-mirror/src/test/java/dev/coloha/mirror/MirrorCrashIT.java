package dev.coloha.mirror;

import static dev.coloha.mirror.testing.MirrorVolumes.digest;
import static dev.coloha.mirror.testing.MirrorVolumes.state;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.mirror.testing.MirrorNode;
import dev.coloha.mirror.testing.MirrorVolumes;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.ServiceProcess;
import dev.coloha.wire.block.BlockClient;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secondary's mirror as a real process, killed with {@code kill -9} under load, or halted by a
 * fault point in the middle of a commit or of a journal record; restarted from its files it is
 * consistent, the primary's mirror (in this JVM) reconnects and resends, and after the next commit
 * the secondary equals the primary byte for byte.
 */
class MirrorCrashIT {
  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String[] FAST = {
    "--colo.mirror.replication.heartbeat-interval=100ms",
    "--colo.mirror.replication.reconnect-backoff=50ms",
    "--colo.mirror.replication.max-reconnect-backoff=500ms"
  };

  @TempDir Path dir;
  MirrorNode a;
  ServiceProcess b;

  @BeforeEach
  void primary() {
    a = MirrorNode.start(dir.resolve("a"), FAST);
  }

  @AfterEach
  void stop() {
    if (b != null) {
      b.close();
    }
    a.close();
  }

  private ServiceProcess secondary(String... extra) {
    String[] args = new String[FAST.length + extra.length];
    System.arraycopy(FAST, 0, args, 0, FAST.length);
    System.arraycopy(extra, 0, args, FAST.length, extra.length);
    return ServiceProcess.mirror(dir.resolve("b"), dir.resolve("b.log"), args);
  }

  private void protect(String volume) {
    MirrorVolumes.protect(a.api(), b.api(), b.url(), volume, 8388608, WAIT);
  }

  private BlockClient attach(String volume) {
    return BlockClient.connect(URI.create(a.url()), volume, 1, BlockClient.Options.defaults());
  }

  private static void randomWrites(BlockClient c, Random rnd, int n) {
    for (int i = 0; i < n; i++) {
      int sectors = 1 + rnd.nextInt(32);
      long offset = (long) rnd.nextInt((int) (c.sizeBytes() / 512) - sectors) * 512;
      byte[] data = new byte[sectors * 512];
      rnd.nextBytes(data);
      c.write(offset, data, 0, data.length);
    }
  }

  private void commitOnB(String volume, long barrier) {
    Http sb = b.api();
    sb.ok(
        sb.post("/v1/volumes/" + volume + "/commit", "{\"epoch\":1,\"barrier\":" + barrier + "}"));
  }

  @Test
  void aSecondaryMirrorKilledUnderLoadRestartsConsistentAndCatchesUp() throws Exception {
    b = secondary();
    protect("load");
    AtomicBoolean stop = new AtomicBoolean();
    // the writer holds the gate for each batch of writes; the test takes it to pause them
    Semaphore gate = new Semaphore(1, true);
    AtomicLong barrier = new AtomicLong(-1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (BlockClient pvm = attach("load")) {
      Thread writer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    Random rnd = new Random(21);
                    try {
                      while (!stop.get()) {
                        gate.acquire();
                        try {
                          randomWrites(pvm, rnd, 25);
                          pvm.barrier(barrier.get() + 1);
                          barrier.incrementAndGet();
                        } finally {
                          gate.release();
                        }
                      }
                    } catch (Throwable t) {
                      failure.set(t);
                    }
                  });
      await().atMost(WAIT).until(() -> barrier.get() >= 3);
      commitOnB("load", barrier.get());
      await().atMost(WAIT).until(() -> barrier.get() >= 8);
      b.kill(); // in the middle of taking the primary's frames
      long whileDown = barrier.get();
      await().atMost(WAIT).until(() -> barrier.get() >= whileDown + 5);
      // the frames written while it is down wait in the primary's queue; writing on for the whole
      // JVM start would fill the queue, and a full queue with the secondary's stream down drops
      // the replica (DEGRADED, a resync) rather than stall the primary's writes
      gate.acquire(); // once the batch in flight is written
      b.restart(FAST);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  a.api()
                      .ok(a.api().get("/v1/volumes/load"))
                      .path("replication")
                      .path("connected")
                      .asBoolean());
      gate.release();
      long afterRestart = barrier.get();
      await().atMost(WAIT).until(() -> barrier.get() >= afterRestart + 5);
      stop.set(true);
      writer.join();
      assertThat(failure.get()).isNull();

      pvm.barrier(barrier.get() + 1);
      long last = barrier.incrementAndGet();
      commitOnB("load", last);
      assertThat(digest(b.api(), "load", "view")).isEqualTo(digest(a.api(), "load", "base"));
      assertThat(state(a.api(), "load")).isEqualTo("REPLICATING");
    }
  }

  @Test
  void aMirrorHaltedInTheMiddleOfACommitFinishesItOnRestart() {
    b = secondary("--colo.mirror.testing.crash-at=commit-mid-apply");
    protect("commit");
    try (BlockClient pvm = attach("commit")) {
      Random rnd = new Random(22);
      randomWrites(pvm, rnd, 300);
      pvm.barrier(0);
      String atBarrier = digest(a.api(), "commit", "base");
      randomWrites(pvm, rnd, 50);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  a.api().ok(a.api().get("/v1/volumes/commit")).path("pendingWrites").asLong()
                      == 0);

      try {
        commitOnB("commit", 0); // answered before the copy into the base, which halts the process
      } catch (RuntimeException e) {
        // or the halt came before the answer got out
      }
      b.awaitDeath();
      b.restart(FAST);
      var status = b.api().ok(b.api().get("/v1/volumes/commit"));
      assertThat(status.path("committedBarrier").asLong()).isZero();
      assertThat(status.path("state").asString()).isEqualTo("IN_SYNC");
      assertThat(digest(b.api(), "commit", "view")).isEqualTo(atBarrier);

      randomWrites(pvm, rnd, 50);
      pvm.barrier(1);
      commitOnB("commit", 1);
      assertThat(digest(b.api(), "commit", "view")).isEqualTo(digest(a.api(), "commit", "base"));
    }
  }

  @Test
  void aMirrorHaltedInTheMiddleOfAJournalRecordRestartsWithoutItAndGetsItAgain() {
    b = secondary("--colo.mirror.testing.crash-at=journal-torn-append");
    protect("torn");
    try (BlockClient pvm = attach("torn")) {
      Random rnd = new Random(23);
      byte[] big = new byte[256 << 10];
      rnd.nextBytes(big);
      pvm.write(1 << 20, big, 0, big.length); // the first journaled record: the mirror halts in it
      b.awaitDeath();
      randomWrites(pvm, rnd, 20);
      b.restart(FAST);
      pvm.barrier(0);
      commitOnB("torn", 0);
      assertThat(digest(b.api(), "torn", "view")).isEqualTo(digest(a.api(), "torn", "base"));
    }
  }
}
