package dev.coloha.mirror.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.coloha.mirror.testing.Settings;
import dev.coloha.mirror.testing.VolumePair;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault matrix's "secondary's disk mirror dies" row, on the primary's mirror: the replica is
 * dropped, and the primary's VM never sees it. Every write, flush, barrier and read of the primary
 * succeeds, without waiting for a replica that cannot come back (a write held under the volume's
 * lock for the backpressure timeout made the agent's disk requests time out: one {@code ERR disk
 * error} reached a client in the chaos run of docs/benchmarks.md).
 */
class ReplicaLossTest {
  private static final long MB = 1 << 20;

  @TempDir Path dir;

  @Test
  void theSecondarysMirrorDyingMidWriteFailsAndStallsNoWriteOrBarrierOfThePrimary()
      throws Exception {
    // a small queue (it fills while the secondary is gone) and a backpressure timeout far longer
    // than any client would wait: a primary write that waits for the dead replica hangs the test
    VolumeSettings p =
        Settings.fast()
            .withReplication(
                new VolumeSettings.Replication(
                    256 << 10,
                    4096,
                    Duration.ofHours(1),
                    Duration.ofMillis(100),
                    Duration.ofSeconds(30),
                    Duration.ofSeconds(2),
                    Duration.ofMillis(20),
                    Duration.ofMillis(200)));
    try (VolumePair pair = new VolumePair(dir, 8 * MB, 1, p, Settings.fast())) {
      pair.resync();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> pair.primary().status().state().equals("REPLICATING"));
      Volume prim = pair.primary();
      Random rnd = new Random(15);
      byte[][] blocks = new byte[64][];
      for (int i = 0; i < blocks.length; i++) {
        blocks[i] = new byte[64 << 10];
        rnd.nextBytes(blocks[i]);
      }
      assertTimeoutPreemptively(
          Duration.ofMinutes(2),
          () -> {
            long barrier = 0;
            for (int i = 0; i < blocks.length; i++) {
              if (i == 8) {
                // kill -9 of the secondary's mirror in the middle of the writes: its streams
                // break, and it refuses connections from now on
                pair.transport().down(true);
                pair.transport().dropLinks();
                pair.secondary().close();
              }
              prim.write(1, (long) i * blocks[i].length, blocks[i]);
              if (i % 4 == 3) {
                prim.flush(1);
                assertThat(prim.barrier(1, ++barrier)).isEqualTo(barrier);
              }
            }
          },
          "a primary write or barrier waited for the dead secondary's mirror");
      assertThat(prim.status().state()).isEqualTo("DEGRADED");
      assertThat(prim.status().replication().reason()).contains("not connected");
      for (int i = 0; i < blocks.length; i++) {
        assertThat(prim.read(1, (long) i * blocks[i].length, blocks[i].length))
            .as("block %d, written locally", i)
            .isEqualTo(blocks[i]);
      }
      // and it goes on: more writes and barriers, with the replica gone for good
      prim.write(1, 0, blocks[1]);
      assertThat(prim.barrier(1, 100)).isEqualTo(100);
      assertThat(prim.read(1, 0, blocks[1].length)).isEqualTo(blocks[1]);
    }
  }

  @Test
  void aResyncToTheSameTargetRecreatedAfterItsMirrorDiedCopiesTheWholeImageAgain()
      throws Exception {
    try (VolumePair pair = VolumePair.of(dir, 2 * MB)) {
      pair.resync();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> pair.primary().status().state().equals("REPLICATING"));
      Volume prim = pair.primary();
      Random rnd = new Random(4);
      VolumePair.randomWrites(prim, 1, rnd, 40);
      // the secondary's mirror dies; the primary's forwarder keeps reconnecting (REPLICATING)
      pair.transport().down(true);
      pair.transport().dropLinks();
      VolumePair.randomWrites(prim, 1, rnd, 10);
      // it comes back, and the coordinator re-protects on it: the volume deleted and created
      // again, empty, then a resync to the very same target
      pair.recreateSecondary();
      pair.resync();
      pair.transport().down(false);

      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  prim.status().state().equals("REPLICATING")
                      && prim.status().replication().connected()
                      && pair.secondary().status().state().equals("IN_SYNC"));
      prim.barrier(1, 7);
      assertThat(pair.secondary().commit(1, 7)).isEqualTo(7);
      assertThat(pair.secondary().digest().view())
          .as("the recreated secondary holds the primary's whole image")
          .isEqualTo(prim.digest().base());
      assertThat(prim.status().state()).isEqualTo("REPLICATING");
    }
  }
}
