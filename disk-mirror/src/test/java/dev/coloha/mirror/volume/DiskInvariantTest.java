package dev.coloha.mirror.volume;

import static dev.coloha.mirror.testing.VolumePair.randomWrites;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.mirror.testing.Settings;
import dev.coloha.mirror.testing.VolumePair;
import dev.coloha.wire.StaleEpochException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk invariant of COLO, on a primary and a secondary volume connected in one JVM: after
 * commit N the secondary's view equals the primary's image at barrier N; after failover the
 * secondary's view equals its own view before failover; a resync under concurrent writes ends with
 * identical images. Seeds are fixed, so a failure replays.
 */
class DiskInvariantTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final long MB = 1 << 20;

  @TempDir Path dir;

  private static void awaitState(Volume v, String state) {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(10))
        .until(() -> v.status().state().equals(state));
  }

  private static VolumePair inSync(Path dir, long size) throws Exception {
    VolumePair pair = VolumePair.of(dir, size);
    pair.resync();
    awaitState(pair.primary(), "REPLICATING");
    return pair;
  }

  @Test
  void afterCommitNTheSecondaryViewIsThePrimaryImageAtBarrierN() throws Exception {
    for (long seed = 1; seed <= 4; seed++) {
      Path d = dir.resolve("seed" + seed);
      try (VolumePair pair = inSync(d, 4 * MB)) {
        Volume p = pair.primary();
        Volume s = pair.secondary();
        Random rnd = new Random(seed);
        for (long barrier = 0; barrier < 6; barrier++) {
          randomWrites(p, 1, rnd, 20 + rnd.nextInt(60));
          p.barrier(1, barrier);
          String atBarrier = p.digest().base();
          randomWrites(p, 1, rnd, rnd.nextInt(40)); // after the barrier: stays hidden
          randomWrites(s, 1, rnd, rnd.nextInt(20)); // the secondary VM's own: discarded
          assertThat(s.commit(1, barrier)).isEqualTo(barrier);
          assertThat(s.digest().view())
              .as("seed %d: view after commit %d", seed, barrier)
              .isEqualTo(atBarrier);
          assertThat(s.status().overlayBytes()).isZero();
          assertThat(s.status().committedBarrier()).isEqualTo(barrier);
        }
        assertThat(s.digest().view()).isNotEqualTo(p.digest().base()); // the hidden tail
      }
    }
  }

  @Test
  void hiddenWritesAreInvisibleUntilTheirBarrierCommitsAndTheOverlayIsReadFirst() throws Exception {
    try (VolumePair pair = inSync(dir, 1 * MB)) {
      Volume p = pair.primary();
      Volume s = pair.secondary();
      p.barrier(1, 0);
      s.commit(1, 0);
      byte[] a = filled(1024, 'A');
      byte[] b = filled(512, 'B');
      p.write(1, 8192, a);
      assertThat(p.awaitReplicated(30, TimeUnit.SECONDS)).isTrue();
      assertThat(s.status().pendingWrites()).isEqualTo(1);
      assertThat(s.read(1, 8192, 1024)).isEqualTo(new byte[1024]);

      s.write(1, 8192, b);
      byte[] view = s.read(1, 8192, 1024);
      assertThat(Arrays.copyOfRange(view, 0, 512)).isEqualTo(b);
      assertThat(Arrays.copyOfRange(view, 512, 1024)).isEqualTo(new byte[512]);

      p.barrier(1, 1);
      s.commit(1, 1);
      assertThat(s.read(1, 8192, 1024)).isEqualTo(a);
      assertThat(s.status().pendingWrites()).isZero();

      // a repeated resync request for the same secondary (a retry) changes nothing
      pair.resync();
      assertThat(p.status().state()).isEqualTo("REPLICATING");
      assertThat(s.status().committedBarrier()).isEqualTo(1);
      assertThat(s.read(1, 8192, 1024)).isEqualTo(a);
    }
  }

  @Test
  void afterFailoverTheSecondaryKeepsItsOwnViewAndTheOldPrimaryIsFenced() throws Exception {
    try (VolumePair pair = inSync(dir, 4 * MB)) {
      Volume p = pair.primary();
      Volume s = pair.secondary();
      Random rnd = new Random(42);
      randomWrites(p, 1, rnd, 50);
      p.barrier(1, 0);
      s.commit(1, 0);
      randomWrites(p, 1, rnd, 50);
      p.barrier(1, 1);
      randomWrites(s, 1, rnd, 30);
      s.commit(1, 1);
      randomWrites(s, 1, rnd, 30); // the secondary VM's writes since the last checkpoint
      randomWrites(p, 1, rnd, 40); // the primary's, never committed
      assertThat(p.awaitReplicated(30, TimeUnit.SECONDS)).isTrue();
      assertThat(s.status().pendingWrites()).isPositive();
      String before = s.digest().view();

      s.failover(1, 2);

      assertThat(s.role()).isEqualTo(VolumeRole.PRIMARY);
      assertThat(s.epoch()).isEqualTo(2);
      Volume.Digest after = s.digest();
      assertThat(after.view()).isEqualTo(before);
      assertThat(after.base()).isEqualTo(before);
      assertThat(s.status().state()).isEqualTo("UNPROTECTED");
      assertThat(s.status().lastBarrier()).isEqualTo(1);
      s.failover(2, 2); // repeated: no-op
      s.failover(1, 2); // repeated from a stream still in the old epoch (the agent's): no-op
      assertThatThrownBy(() -> s.failover(1, 1)).isInstanceOf(StaleEpochException.class);

      // the old primary's next forwarded write is refused: it adopts epoch 2 and is fenced
      p.write(1, 0, new byte[512]);
      awaitState(p, "FENCED");
      assertThat(p.epoch()).isEqualTo(2);
      assertThatThrownBy(() -> p.write(1, 0, new byte[512]))
          .isInstanceOf(StaleEpochException.class);
      assertThat(s.digest().view()).isEqualTo(before);

      // the promoted volume survives a restart as a primary with its image
      pair.restartSecondary();
      assertThat(pair.secondary().role()).isEqualTo(VolumeRole.PRIMARY);
      assertThat(pair.secondary().digest().base()).isEqualTo(before);
    }
  }

  @Test
  void aResyncUnderConcurrentWritesEndsWithIdenticalImages() throws Exception {
    try (VolumePair pair = VolumePair.of(dir, 8 * MB)) {
      Volume p = pair.primary();
      Volume s = pair.secondary();
      randomWrites(p, 1, new Random(7), 400); // data the secondary must copy
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong writes = new AtomicLong();
      Thread writer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    Random rnd = new Random(8);
                    try {
                      while (!stop.get()) {
                        randomWrites(p, 1, rnd, 1);
                        writes.incrementAndGet();
                      }
                    } catch (Exception e) {
                      throw new IllegalStateException(e);
                    }
                  });
      long before = writes.get();
      pair.resync();
      awaitState(p, "REPLICATING");
      long atSwitch = writes.get();
      await().atMost(WAIT).until(() -> writes.get() > atSwitch + 200);
      stop.set(true);
      writer.join();
      assertThat(atSwitch).as("writes happened during the resync").isGreaterThan(before);
      assertThat(p.status().resync().phase()).isEqualTo("DONE");

      p.barrier(1, 0);
      s.commit(1, 0);
      assertThat(s.digest().view()).isEqualTo(p.digest().base());
      assertThat(s.digest().base()).isEqualTo(p.digest().base());
    }
  }

  @Test
  void aSecondaryResetBehindThePrimarysBackIsDegradedThenResyncedAgain() throws Exception {
    try (VolumePair pair = inSync(dir, 2 * MB)) {
      Volume p = pair.primary();
      Random rnd = new Random(3);
      randomWrites(p, 1, rnd, 30);
      assertThat(p.awaitReplicated(30, TimeUnit.SECONDS)).isTrue();
      // the secondary's mirror comes back with its volume reset (an operator recreated it)
      pair.transport().down(true);
      Path s = dir.resolve(VolumePair.S);
      pair.secondary().close();
      Files.delete(s.resolve("meta"));
      Volume fresh =
          Volume.create(
              dir.resolve("s2"),
              "s",
              2 * MB,
              VolumeRole.SECONDARY,
              1,
              Settings.fast(),
              VolumeObserver.NONE,
              (u, v) -> pair.transport());
      fresh.close();
      Files.copy(dir.resolve("s2").resolve("meta"), s.resolve("meta"));
      pair.restartSecondary();
      pair.transport().down(false);
      randomWrites(p, 1, rnd, 5);
      awaitState(p, "DEGRADED");

      pair.resync();
      awaitState(p, "REPLICATING");
      p.barrier(1, 4);
      pair.secondary().commit(1, 4);
      assertThat(pair.secondary().digest().view()).isEqualTo(p.digest().base());
    }
  }

  @Test
  void aPrimaryMirrorRestartLeavesItsVolumeDegradedUntilAResync() throws Exception {
    try (VolumePair pair = inSync(dir, 1 * MB)) {
      Volume p = pair.primary();
      randomWrites(p, 1, new Random(5), 10);
      p.close();
      Volume again =
          Volume.open(
              dir.resolve(VolumePair.P),
              Settings.fast(),
              VolumeObserver.NONE,
              (u, v) -> pair.transport());
      try {
        assertThat(again.status().state()).isEqualTo("DEGRADED");
        assertThat(again.status().replication().reason()).contains("restarted");
        again.write(1, 0, filled(512, 'Z')); // the VM carries on, unprotected
        again.resync("pipe://secondary", VolumePair.S);
        awaitState(again, "REPLICATING");
        again.barrier(1, 0);
        pair.secondary().commit(1, 0);
        assertThat(pair.secondary().digest().view()).isEqualTo(again.digest().base());
      } finally {
        again.close();
      }
    }
  }

  static byte[] filled(int n, char c) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) c);
    return b;
  }
}
