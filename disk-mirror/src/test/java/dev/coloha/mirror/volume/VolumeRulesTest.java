package dev.coloha.mirror.volume;

import static dev.coloha.mirror.testing.VolumePair.randomWrites;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.mirror.testing.Settings;
import dev.coloha.mirror.testing.VolumePair;
import dev.coloha.wire.LimitExceededException;
import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.block.BarrierOrderException;
import dev.coloha.wire.block.MirrorTimeoutException;
import dev.coloha.wire.block.SectorRangeException;
import dev.coloha.wire.block.VolumeStateException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input is refused with a typed error and nothing applied; limits hold; barriers order. */
class VolumeRulesTest {
  private static final long MB = 1 << 20;

  @TempDir Path dir;

  private Volume primary(long size) throws Exception {
    return Volume.create(
        dir.resolve("p"),
        "p",
        size,
        VolumeRole.PRIMARY,
        3,
        Settings.fast(),
        VolumeObserver.NONE,
        (u, v) -> null);
  }

  @Test
  void outOfRangeUnalignedOversizedAndStaleRequestsAreRefusedAndChangeNothing() throws Exception {
    try (Volume p = primary(1 * MB)) {
      randomWrites(p, 3, new Random(1), 20);
      String before = p.digest().base();
      assertThatThrownBy(() -> p.write(3, 1 * MB, new byte[512]))
          .isInstanceOf(SectorRangeException.class);
      assertThatThrownBy(() -> p.write(3, 1 * MB - 512, new byte[1024]))
          .isInstanceOf(SectorRangeException.class);
      assertThatThrownBy(() -> p.write(3, 100, new byte[512]))
          .isInstanceOf(SectorRangeException.class);
      assertThatThrownBy(() -> p.write(3, 0, new byte[500]))
          .isInstanceOf(SectorRangeException.class);
      assertThatThrownBy(() -> p.write(3, -512, new byte[512]))
          .isInstanceOf(SectorRangeException.class);
      assertThatThrownBy(() -> p.read(3, 1 * MB - 512, 1024))
          .isInstanceOf(SectorRangeException.class);
      assertThatThrownBy(() -> p.write(3, 0, new byte[2 << 20]))
          .isInstanceOf(LimitExceededException.class)
          .hasMessageContaining("request bytes");
      assertThatThrownBy(() -> p.write(2, 0, new byte[512]))
          .isInstanceOfSatisfying(
              StaleEpochException.class,
              e -> {
                assertThat(e.currentEpoch()).isEqualTo(3);
                assertThat(e.offeredEpoch()).isEqualTo(2);
              });
      assertThatThrownBy(() -> p.barrier(2, 1)).isInstanceOf(StaleEpochException.class);
      assertThat(p.digest().base()).isEqualTo(before);
      assertThat(p.status().writes()).isEqualTo(20);

      // a newer epoch is adopted, and the old one is refused from then on
      p.write(4, 0, new byte[512]);
      assertThat(p.epoch()).isEqualTo(4);
      assertThatThrownBy(() -> p.read(3, 0, 512)).isInstanceOf(StaleEpochException.class);
    }
  }

  @Test
  void barriersRiseStrictlyAndOnlyTheRightRoleTakesEachOperation() throws Exception {
    try (VolumePair pair = VolumePair.of(dir, 1 * MB)) {
      Volume p = pair.primary();
      Volume s = pair.secondary();
      assertThatThrownBy(() -> s.write(1, 0, new byte[512]))
          .isInstanceOfSatisfying(
              VolumeStateException.class, e -> assertThat(e.state()).isEqualTo("UNSYNCED"));
      assertThatThrownBy(() -> s.commit(1, 0)).isInstanceOf(VolumeStateException.class);
      assertThatThrownBy(() -> p.commit(1, 0))
          .isInstanceOfSatisfying(
              VolumeStateException.class, e -> assertThat(e.state()).isEqualTo("PRIMARY"));
      assertThatThrownBy(() -> s.barrier(1, 0))
          .isInstanceOfSatisfying(
              VolumeStateException.class, e -> assertThat(e.state()).isEqualTo("SECONDARY"));
      assertThatThrownBy(() -> s.resync("pipe://x", "p")).isInstanceOf(VolumeStateException.class);

      p.barrier(1, 5);
      assertThatThrownBy(() -> p.barrier(1, 5)).isInstanceOf(BarrierOrderException.class);
      assertThatThrownBy(() -> p.barrier(1, 4)).isInstanceOf(BarrierOrderException.class);
      p.barrier(1, 6);
    }
  }

  /**
   * A group restarted from its surviving volume (docs/coordinator.md, both replicas lost): the new
   * VM attaches in a newer epoch and numbers its checkpoints, hence its barriers, from 1; the
   * volume takes them, keeps its data, and its old secondary (which followed the dead VM's
   * checkpoints) needs a resync. In the volume's own epoch the barrier order stays strict.
   */
  @Test
  void aPrimaryTakenOverByANewVmInANewerEpochNumbersBarriersAnewAndDropsItsSecondary()
      throws Exception {
    try (VolumePair pair = VolumePair.of(dir, 1 * MB)) {
      Volume p = pair.primary();
      pair.resync();
      await().atMost(Duration.ofSeconds(30)).until(() -> p.status().state().equals("REPLICATING"));
      p.write(1, 0, new byte[512]);
      p.barrier(1, 40);
      String before = p.digest().base();
      p.attach(1); // the same VM's stream again: nothing changes
      assertThatThrownBy(() -> p.barrier(1, 1)).isInstanceOf(BarrierOrderException.class);
      assertThat(p.status().state()).isEqualTo("REPLICATING");

      p.attach(2);

      assertThat(p.epoch()).isEqualTo(2);
      assertThat(p.status().state()).isEqualTo("DEGRADED");
      assertThat(p.status().replication().reason()).contains("new VM took the volume over");
      assertThat(p.digest().base()).as("the data stays").isEqualTo(before);
      p.barrier(2, 1);
      assertThatThrownBy(() -> p.barrier(2, 1)).isInstanceOf(BarrierOrderException.class);
      assertThatThrownBy(() -> p.write(1, 0, new byte[512]))
          .isInstanceOf(StaleEpochException.class);
    }
  }

  /**
   * Commands validate, then change: an operation refused for the volume's role or state in a newer
   * epoch leaves the volume in its epoch (adopting it would fence the stream of the current one).
   */
  @Test
  void aPrimaryRefusingACommitInANewerEpochStaysInItsEpoch() throws Exception {
    try (VolumePair pair = VolumePair.of(dir, 1 * MB)) {
      Volume p = pair.primary();
      assertThatThrownBy(() -> p.commit(5, 0)).isInstanceOf(VolumeStateException.class);
      assertThatThrownBy(() -> p.attachReplica(5)).isInstanceOf(VolumeStateException.class);
      assertThat(p.epoch()).as("a primary refusing a commit").isEqualTo(1);
      // and it still takes its current epoch's operations
      p.write(1, 0, new byte[512]);
      p.barrier(1, 1);
    }
  }

  @Test
  void aSecondaryRefusingBarriersAndIoInANewerEpochStaysInItsEpoch() throws Exception {
    try (VolumePair pair = VolumePair.of(dir, 1 * MB)) {
      Volume s = pair.secondary();
      assertThatThrownBy(() -> s.barrier(5, 0)).isInstanceOf(VolumeStateException.class);
      assertThatThrownBy(() -> s.write(5, 0, new byte[512]))
          .isInstanceOf(VolumeStateException.class); // UNSYNCED
      assertThatThrownBy(() -> s.read(5, 0, 512)).isInstanceOf(VolumeStateException.class);
      assertThatThrownBy(() -> s.commit(5, 0)).isInstanceOf(VolumeStateException.class);
      assertThat(s.epoch()).as("a secondary refusing barriers and I/O").isEqualTo(1);
    }
  }

  @Test
  void aBarrierOutOfOrderOrAWriteWithoutOverlayRoomInANewerEpochLeavesTheEpoch() throws Exception {
    VolumeSettings small =
        Settings.fast()
            .withSecondary(
                new VolumeSettings.Secondary(
                    256L << 20, 4096, Duration.ofSeconds(3), 1 << 20, Duration.ofSeconds(20)));
    try (VolumePair pair = new VolumePair(dir, 1 * MB, 1, Settings.fast(), small)) {
      pair.resync();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> pair.primary().status().state().equals("REPLICATING"));
      Volume p = pair.primary();
      p.barrier(1, 7);
      assertThatThrownBy(() -> p.barrier(5, 7)).isInstanceOf(BarrierOrderException.class);
      assertThat(p.epoch()).as("a primary refusing a barrier out of order").isEqualTo(1);

      Volume s = pair.secondary();
      assertThatThrownBy(() -> s.write(5, 0, new byte[8192]))
          .isInstanceOf(LimitExceededException.class); // more than the overlay's 4096 bytes
      assertThat(s.epoch()).as("a secondary refusing a write without room").isEqualTo(1);
      s.write(1, 0, new byte[512]); // and its current epoch's I/O still goes on
    }
  }

  @Test
  void aCommitWaitsForItsBarrierAndRefusesOneThatNeverCame() throws Exception {
    VolumeSettings s =
        Settings.fast()
            .withSecondary(
                new VolumeSettings.Secondary(
                    256L << 20,
                    256L << 20,
                    Duration.ofSeconds(3),
                    1 << 20,
                    Duration.ofSeconds(20)));
    try (VolumePair pair = new VolumePair(dir, 1 * MB, 1, Settings.fast(), s)) {
      pair.resync();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> pair.primary().status().state().equals("REPLICATING"));
      Volume sec = pair.secondary();
      assertThatThrownBy(() -> sec.commit(1, 7)).isInstanceOf(MirrorTimeoutException.class);

      CompletableFuture<Long> commit =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return sec.commit(1, 7);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              Thread.ofVirtual()::start);
      pair.primary().barrier(1, 7);
      assertThat(commit.get()).isEqualTo(7);

      pair.primary().barrier(1, 9);
      pair.primary().barrier(1, 10);
      await().atMost(Duration.ofSeconds(30)).until(() -> sec.status().lastBarrier() == 10);
      assertThatThrownBy(() -> sec.commit(1, 8))
          .isInstanceOf(BarrierOrderException.class)
          .hasMessageContaining("never reached");
      assertThatThrownBy(() -> sec.commit(1, 6))
          .isInstanceOf(BarrierOrderException.class)
          .hasMessageContaining("older");
      assertThat(sec.commit(1, 7)).isEqualTo(7); // repeated: idempotent
      assertThat(sec.commit(1, 10)).isEqualTo(10);
    }
  }

  @Test
  void aSecondaryThatStopsTakingWritesPushesBackThenDegradesTheReplication() throws Exception {
    VolumeSettings p =
        Settings.fast()
            .withReplication(
                new VolumeSettings.Replication(
                    256 << 10,
                    4096,
                    Duration.ofMillis(500),
                    Duration.ofMillis(100),
                    Duration.ofSeconds(30),
                    Duration.ofSeconds(2),
                    Duration.ofMillis(20),
                    Duration.ofMillis(200)));
    VolumeSettings s =
        Settings.fast()
            .withSecondary(
                new VolumeSettings.Secondary(
                    128 << 10, 256L << 20, Duration.ofSeconds(5), 1 << 20, Duration.ofSeconds(30)));
    try (VolumePair pair = new VolumePair(dir, 4 * MB, 1, p, s)) {
      pair.resync();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> pair.primary().status().state().equals("REPLICATING"));
      Volume prim = pair.primary();
      byte[] block = new byte[64 << 10];
      new Random(2).nextBytes(block);
      // no commit ever comes: the secondary's journal fills (128 KiB), then the primary's queue
      for (int i = 0; i < 16 && prim.status().state().equals("REPLICATING"); i++) {
        prim.write(1, (long) i * block.length, block);
      }
      assertThat(prim.status().state()).isEqualTo("DEGRADED");
      assertThat(prim.status().replication().reason()).contains("backpressure");
      assertThat(prim.read(1, 0, block.length)).isEqualTo(block); // nothing lost locally
      assertThat(pair.secondary().status().pendingBytes()).isLessThanOrEqualTo(256 << 10);
    }
  }
}
