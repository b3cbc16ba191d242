package dev.coloha.wire.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.StaleEpochException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Model-based test of the write-behind disk: seeded random sequences of writes, reads, flushes,
 * barriers, injected write failures and broken streams against an in-memory model of what the VM
 * may observe. The disk runs on {@link MemoryPipe}, a mirror that applies requests in order on its
 * own thread, so writes really are behind.
 *
 * <p>The model: reads return every earlier write; a flush or barrier that succeeds has every
 * earlier write on the mirror (and, for a barrier, before the barrier's mark); after a write
 * failed, the next read, flush or barrier fails and so does every operation after it (a write in
 * between may still be accepted, the failure not being known yet); a stream that breaks while idle
 * is reopened without loss; the queue never holds more than its bounds. Half the writes go to a few
 * hot sectors, so that held writes are often wholly replaced by later ones before they are sent
 * (coalescing): the model sees none of that, every state it checks (a read, a flush, a barrier's
 * image) must still be exact.
 *
 * <p>The secondary's runs ({@link #randomSecondaryRunsMatchTheModel}) add the secondary's hold:
 * overlay writes held until a commit drops them, reads laid over from the held writes, flushes that
 * send nothing, commits (some refused), one failover that must bring every held write to the mirror
 * first, in order, and the primary's behaviour after it; a refused write must fail the next read,
 * commit, failover or (after the failover) flush or barrier.
 */
class WriteBehindModelTest {
  private static final int SECTOR = BlockLimits.SECTOR_SIZE;
  private static final int SIZE = 64 * SECTOR;
  private static final int SEEDS = 300;
  private static final int STEPS = 400;
  // writes are held until a request, a full queue or a push sends them (no timer in these runs)
  private static final WriteBehind.Limits LIMITS =
      new WriteBehind.Limits(4, 4L * SECTOR, Duration.ofSeconds(30), Duration.ofHours(1), 1 << 20);

  @Test
  void randomRunsMatchTheModel() {
    long dropped = 0;
    long combined = 0;
    for (int seed = 0; seed < SEEDS; seed++) {
      long[] counts = run(seed);
      dropped += counts[0];
      combined += counts[1];
    }
    assertThat(dropped).as("writes replaced before they were sent, over all runs").isPositive();
    assertThat(combined).as("writes combined with the held one before, over all runs").isPositive();
  }

  // a secondary holds up to 6 sectors of overlay writes; the queue's 8 writes bound it too
  private static final WriteBehind.Limits SECONDARY =
      new WriteBehind.Limits(
          8, 16L * SECTOR, Duration.ofSeconds(30), Duration.ofHours(1), 1 << 20, 6L * SECTOR);

  @Test
  void randomSecondaryRunsMatchTheModel() {
    long dropped = 0;
    long sentWhileHolding = 0;
    int promoted = 0;
    int refusedFailovers = 0;
    for (int seed = 0; seed < SEEDS; seed++) {
      long[] counts = runSecondary(seed);
      dropped += counts[0];
      sentWhileHolding += counts[1];
      promoted += (int) counts[2];
      refusedFailovers += (int) counts[3];
    }
    assertThat(dropped).as("overlay writes a commit dropped, over all runs").isPositive();
    assertThat(sentWhileHolding)
        .as("overlay writes sent past the hold's bound, over all runs")
        .isPositive();
    assertThat(promoted).as("runs whose failover succeeded").isPositive();
    assertThat(refusedFailovers).as("failovers that reported a refused write").isPositive();
  }

  @Test
  void aSecondarysFlushSendsNothingAndACommitDropsEveryHeldWrite() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 7).secondary();
    try (WriteBehind disk =
        new WriteBehind(() -> new MemoryPipe(volume, 4 * SECTOR), WriteBehind.Limits.defaults())) {
      assertThat(disk.holdsOverlay()).isTrue();
      for (int i = 0; i < 40; i++) { // a log's tail and a header, over and over
        disk.write((i % 30) * SECTOR, sectors(i + 1, 2), 0, 2 * SECTOR);
        disk.write(62 * SECTOR, sectors(i + 1, 1), 0, SECTOR);
        disk.flush(); // the guest's everysec flush
      }
      byte[] back = new byte[SECTOR];
      disk.read(62 * SECTOR, back, 0, SECTOR); // from the held writes: the mirror has none
      assertThat(back).isEqualTo(sectors(40, 1));
      assertThat(volume.writesQueued()).as("overlay writes sent to the mirror").isZero();
      assertThat(disk.pendingWrites()).isPositive();
      long before = disk.droppedWrites();

      assertThat(disk.commit(1)).isEqualTo(1);
      assertThat(volume.writesQueued()).as("a commit sends none either").isZero();
      assertThat(disk.pendingWrites()).isZero();
      assertThat(disk.droppedWrites()).isGreaterThan(before);
      disk.read(62 * SECTOR, back, 0, SECTOR);
      assertThat(back).as("the overlay is gone with the commit").isEqualTo(new byte[SECTOR]);
    }
  }

  @Test
  void aSecondarysFailoverSendsEveryHeldWriteFirstAndThenHoldsAsAPrimary() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 8).secondary();
    try (WriteBehind disk =
        new WriteBehind(() -> new MemoryPipe(volume, 4 * SECTOR), WriteBehind.Limits.defaults())) {
      disk.write(0, sectors(1, 4), 0, 4 * SECTOR);
      disk.write(10 * SECTOR, sectors(2, 1), 0, SECTOR);
      disk.write(2 * SECTOR, sectors(3, 1), 0, SECTOR); // overlaps the first: later bytes win
      disk.flush();
      assertThat(volume.writesQueued()).isZero();

      assertThat(disk.failover(2)).isEqualTo(2);
      assertThat(volume.role).isEqualTo(VolumeRole.PRIMARY);
      byte[] expected = image(1, 1, 3, 1, 0, 0, 0, 0, 0, 0, 2);
      assertThat(volume.image())
          .as("the held writes, in order, then the failover")
          .isEqualTo(expected);
      assertThat(disk.holdsOverlay()).isFalse();

      disk.write(20 * SECTOR, sectors(4, 1), 0, SECTOR);
      disk.flush(); // a primary's flush: every earlier write is durable
      System.arraycopy(sectors(4, 1), 0, expected, 20 * SECTOR, SECTOR);
      assertThat(volume.durable()).isEqualTo(expected);
    }
  }

  @Test
  void aSecondarysFailoverFailsWhenTheMirrorRefusesAHeldWrite() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 9).secondary();
    try (WriteBehind disk =
        new WriteBehind(() -> new MemoryPipe(volume, 4 * SECTOR), WriteBehind.Limits.defaults())) {
      disk.write(0, sectors(1, 1), 0, SECTOR);
      disk.write(4 * SECTOR, sectors(2, 1), 0, SECTOR);
      volume.failNextWrite(new StaleEpochException(3, 1)); // the first of them is refused
      assertThatThrownBy(() -> disk.failover(2)).isInstanceOf(StaleEpochException.class);
      assertThat(disk.failure()).isInstanceOf(StaleEpochException.class);
      assertThatThrownBy(() -> disk.failover(2)).isInstanceOf(StaleEpochException.class);
    }
  }

  @Test
  void aSecondarysOverlayWritesPastTheHoldGoToTheMirrorInOrder() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 10).secondary();
    try (WriteBehind disk = new WriteBehind(() -> new MemoryPipe(volume, 4 * SECTOR), SECONDARY)) {
      for (int i = 0; i < 7; i++) { // 7 sectors, none combined: the hold's 6 are passed
        disk.write(2L * i * SECTOR, sectors(i + 1, 1), 0, SECTOR);
      }
      assertThat(volume.writesQueued()).isEqualTo(6);
      disk.write(0, sectors(9, 1), 0, SECTOR); // held again
      byte[] back = new byte[SECTOR];
      disk.read(0, back, 0, SECTOR);
      assertThat(back).isEqualTo(sectors(9, 1));
      assertThat(disk.failover(2)).isEqualTo(2);
      assertThat(volume.image()).isEqualTo(image(9, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7));
    }
  }

  private static final WriteBehind.Limits ROOMY =
      new WriteBehind.Limits(
          16, 16L * SECTOR, Duration.ofSeconds(30), Duration.ofHours(1), 1 << 20);

  @Test
  void aHeldWriteThatALaterOneWhollyReplacesIsDroppedButNeverAcrossABarrier() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 4);
    try (WriteBehind disk = new WriteBehind(() -> new MemoryPipe(volume, 4 * SECTOR), ROOMY)) {
      disk.write(0, sectors(1, 1), 0, SECTOR);
      disk.write(2 * SECTOR, sectors(2, 1), 0, SECTOR); // neither overlaps nor continues it
      disk.write(0, sectors(3, 1), 0, SECTOR); // replaces the first
      disk.write(2 * SECTOR, sectors(4, 1), 0, SECTOR); // replaces the second
      assertThat(disk.droppedWrites()).isEqualTo(2);
      assertThat(disk.combinedWrites()).isZero();
      disk.barrier(1);
      assertThat(volume.barrier(0)).isEqualTo(image(3, 0, 4));
      assertThat(volume.writesApplied).isEqualTo(2);

      disk.write(0, sectors(5, 1), 0, SECTOR);
      disk.barrier(2); // covers the write before it: no later write may replace it
      disk.write(0, sectors(6, 2), 0, 2 * SECTOR);
      disk.barrier(3);
      assertThat(disk.droppedWrites()).isEqualTo(2);
      assertThat(volume.barrier(1)).isEqualTo(image(5, 0, 4));
      assertThat(volume.barrier(2)).isEqualTo(image(6, 6, 4));
      assertThat(volume.writesApplied).isEqualTo(4);
    }
  }

  @Test
  void aWriteThatOverlapsOrContinuesTheLastHeldOneIsCombinedWithItUpToTheLargestRequest() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 4);
    try (WriteBehind disk = new WriteBehind(() -> new MemoryPipe(volume, 4 * SECTOR), ROOMY)) {
      // a log's tail: each batch rewrites the last partial sector and appends
      disk.write(0, sectors(1, 2), 0, 2 * SECTOR);
      disk.write(SECTOR, sectors(2, 2), 0, 2 * SECTOR); // overlaps: the later bytes win
      disk.write(3 * SECTOR, sectors(3, 1), 0, SECTOR); // continues it
      assertThat(disk.combinedWrites()).isEqualTo(2);
      disk.write(
          4 * SECTOR, sectors(4, 1), 0, SECTOR); // would make 5 sectors: the mirror's max is 4
      disk.write(6 * SECTOR, sectors(5, 1), 0, SECTOR); // a gap: not combined
      disk.write(5 * SECTOR, sectors(6, 1), 0, SECTOR); // continues only the last held write
      assertThat(disk.combinedWrites()).isEqualTo(3);
      disk.barrier(1);
      assertThat(volume.barrier(0)).isEqualTo(image(1, 2, 2, 3, 4, 6, 5));
      assertThat(volume.writesApplied).isEqualTo(3);

      disk.write(7 * SECTOR, sectors(7, 1), 0, SECTOR);
      disk.barrier(2); // nothing is combined across a barrier
      disk.write(6 * SECTOR, sectors(8, 2), 0, 2 * SECTOR);
      disk.barrier(3);
      assertThat(disk.combinedWrites()).isEqualTo(3);
      assertThat(volume.barrier(1)).isEqualTo(image(1, 2, 2, 3, 4, 6, 5, 7));
      assertThat(volume.barrier(2)).isEqualTo(image(1, 2, 2, 3, 4, 6, 8, 8));
      assertThat(volume.writesApplied).isEqualTo(5);
    }
  }

  @Test
  void aCommitDropsTheOverlayWritesStillHeldButOnlyOnceItSucceeded() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 6);
    try (WriteBehind disk = new WriteBehind(() -> new MemoryPipe(volume, 4 * SECTOR), ROOMY)) {
      disk.write(0, sectors(1, 1), 0, SECTOR);
      disk.write(2 * SECTOR, sectors(2, 1), 0, SECTOR);
      assertThat(disk.commit(1)).isEqualTo(1); // discards the overlay: they need not go
      assertThat(volume.commits).containsExactly(1L);
      assertThat(volume.writesApplied).isZero();
      assertThat(disk.droppedWrites()).isEqualTo(2);
      assertThat(disk.pendingWrites()).isZero();

      disk.write(0, sectors(3, 1), 0, SECTOR);
      volume.failNextCommit = new BarrierOrderException(1, 1, "barrier 1 is committed already");
      assertThatThrownBy(() -> disk.commit(1)).isInstanceOf(BarrierOrderException.class);
      assertThat(disk.failure()).isNull(); // the VM goes on with its own writes
      disk.flush(); // the held write goes now: the failed commit changed nothing
      assertThat(volume.writesApplied).isEqualTo(1);
      assertThat(volume.durable()).isEqualTo(image(3));
      assertThat(disk.droppedWrites()).isEqualTo(2);
    }
  }

  @Test
  void aRefusedWriteThatReplacedAHeldOneStillFailsTheNextFlush() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 5);
    try (WriteBehind disk = new WriteBehind(() -> new MemoryPipe(volume, 4 * SECTOR), ROOMY)) {
      volume.failNextWrite(new StaleEpochException(2, 1));
      disk.write(0, sectors(1, 1), 0, SECTOR);
      disk.write(0, sectors(2, 1), 0, SECTOR); // replaces the first: the mirror refuses this one
      assertThat(disk.droppedWrites()).isEqualTo(1);
      assertThatThrownBy(disk::flush).isInstanceOf(StaleEpochException.class);
      assertThatThrownBy(() -> disk.read(0, new byte[SECTOR], 0, SECTOR))
          .isInstanceOf(StaleEpochException.class);
    }
  }

  /** The volume's image with sectors 0, 1, 2... filled as given, the rest zero. */
  private static byte[] image(int... fills) {
    byte[] img = new byte[SIZE];
    for (int i = 0; i < fills.length; i++) {
      Arrays.fill(img, i * SECTOR, (i + 1) * SECTOR, (byte) fills[i]);
    }
    return img;
  }

  private static byte[] sectors(int fill, int n) {
    byte[] b = new byte[n * SECTOR];
    Arrays.fill(b, (byte) fill);
    return b;
  }

  @Test
  void aWriteThatFailsAfterItReturnedFailsTheNextFlushAndEverythingAfter() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 1);
    try (WriteBehind disk = new WriteBehind(() -> new MemoryPipe(volume, 4 * SECTOR), LIMITS)) {
      volume.failNextWrite(new StaleEpochException(2, 1));
      disk.write(0, new byte[SECTOR], 0, SECTOR); // accepted: the mirror has not answered yet
      assertThatThrownBy(disk::flush).isInstanceOf(StaleEpochException.class);
      assertThatThrownBy(() -> disk.barrier(1)).isInstanceOf(StaleEpochException.class);
      assertThatThrownBy(() -> disk.write(0, new byte[SECTOR], 0, SECTOR))
          .isInstanceOf(StaleEpochException.class);
      assertThat(disk.failure()).isInstanceOf(StaleEpochException.class);
    }
  }

  @Test
  void aStreamBrokenWithWritesInFlightFailsTheDiskAndAnIdleOneIsReopened() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 2);
    AtomicReference<MemoryPipe> current = new AtomicReference<>();
    WriteBehind disk =
        new WriteBehind(
            () -> {
              MemoryPipe p = new MemoryPipe(volume, 4 * SECTOR);
              current.set(p);
              return p;
            },
            LIMITS);
    byte[] one = sector(1);
    disk.write(0, one, 0, SECTOR);
    disk.flush();
    current.get().breakNow(); // idle: nothing unacknowledged
    byte[] back = new byte[SECTOR];
    disk.read(0, back, 0, SECTOR);
    assertThat(back).isEqualTo(one);

    disk.write(SECTOR, sector(2), 0, SECTOR); // held in the device: never sent, so not lost
    current.get().breakNow();
    disk.read(SECTOR, back, 0, SECTOR);
    assertThat(back).isEqualTo(sector(2));

    volume.stalled = true;
    disk.write(2 * SECTOR, sector(3), 0, SECTOR);
    disk.push(); // sent: the mirror has not answered it when the stream breaks
    current.get().breakNow();
    volume.stalled = false;
    assertThatThrownBy(disk::flush).isInstanceOf(MirrorUnavailableException.class);
    assertThatThrownBy(() -> disk.read(0, back, 0, SECTOR))
        .isInstanceOf(MirrorUnavailableException.class);
    disk.close();
  }

  @Test
  void aWriteOutsideTheVolumeFailsAtOnceAndFailsNothingElse() {
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, 3);
    try (WriteBehind disk = new WriteBehind(() -> new MemoryPipe(volume, 4 * SECTOR), LIMITS)) {
      assertThatThrownBy(() -> disk.write(SIZE, new byte[SECTOR], 0, SECTOR))
          .isInstanceOf(SectorRangeException.class);
      assertThatThrownBy(() -> disk.write(1, new byte[SECTOR], 0, SECTOR))
          .isInstanceOf(SectorRangeException.class);
      assertThatThrownBy(() -> disk.write(0, new byte[8 * SECTOR], 0, 8 * SECTOR))
          .hasMessageContaining("limit exceeded");
      disk.flush();
      assertThat(disk.failure()).isNull();
    }
  }

  private static byte[] sector(int fill) {
    byte[] b = new byte[SECTOR];
    Arrays.fill(b, (byte) fill);
    return b;
  }

  private static long[] run(int seed) {
    Random r = new Random(seed);
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, seed);
    AtomicReference<MemoryPipe> current = new AtomicReference<>();
    WriteBehind disk =
        new WriteBehind(
            () -> {
              MemoryPipe p = new MemoryPipe(volume, 4 * SECTOR);
              current.set(p);
              return p;
            },
            LIMITS);
    Model m = new Model();
    try {
      for (int step = 0; step < STEPS; step++) {
        int op = r.nextInt(100);
        String trace = "seed " + seed + " step " + step + " op " + op;
        if (op < 55) {
          write(r, disk, m, trace);
        } else if (op < 70) {
          int sectors = 1 + r.nextInt(4);
          int offset = r.nextInt(SIZE / SECTOR - sectors + 1) * SECTOR;
          byte[] back = new byte[sectors * SECTOR];
          m.answer(
              trace,
              () -> disk.read(offset, back, 0, back.length),
              () ->
                  assertThat(back)
                      .as(trace + ": read-your-writes")
                      .isEqualTo(Arrays.copyOfRange(m.image, offset, offset + back.length)));
        } else if (op < 82) {
          m.answer(
              trace,
              disk::flush,
              () -> assertThat(volume.durable()).as(trace + ": flushed").isEqualTo(m.image));
        } else if (op < 92) {
          int before = volume.barrierCount();
          m.answer(
              trace,
              () -> disk.barrier(before + 1L),
              () ->
                  assertThat(volume.barrier(before))
                      .as(trace + ": the barrier covers every earlier write")
                      .isEqualTo(m.image));
        } else if (op < 95) {
          if (!m.unacknowledged && !m.failed && !m.armed) {
            volume.failNextWrite(new StaleEpochException(2, 1)); // the next write is refused
            m.armed = true;
          }
        } else if (op < 98) {
          if (!m.failed) {
            current.get().breakNow();
            // idle: reopened without loss; else writes in flight may be lost: the disk may fail
            m.maybe |= m.unacknowledged;
          }
        } else {
          disk.push();
        }
        assertThat(volume.maxUnacknowledged)
            .as(trace + ": queue bound")
            .isLessThanOrEqualTo(LIMITS.maxWrites());
      }
      return new long[] {disk.droppedWrites(), disk.combinedWrites()};
    } finally {
      disk.close();
    }
  }

  private static void write(Random r, WriteBehind disk, Model m, String trace) {
    int sectors = 1 + r.nextInt(4);
    // half of them to the first few sectors, where later writes often cover earlier ones
    int span = r.nextBoolean() ? 4 : SIZE / SECTOR;
    long offset = (long) r.nextInt(Math.max(1, span - sectors + 1)) * SECTOR;
    byte[] data = new byte[sectors * SECTOR];
    r.nextBytes(data);
    try {
      disk.write(offset, data, 0, data.length);
      assertThat(m.failed).as(trace + ": a write after the reported failure succeeded").isFalse();
      System.arraycopy(data, 0, m.image, (int) offset, data.length);
      m.unacknowledged = true;
      if (m.armed) {
        m.certain = true; // the mirror will refuse this write
        m.armed = false;
      }
    } catch (ColoException e) {
      assertThat(m.failed || m.certain || m.maybe || m.refusedOn(trace))
          .as(trace + ": unexpected " + e)
          .isTrue();
      m.failed = true;
    }
  }

  /**
   * A secondary's run: the volume is a secondary (a commit discards its overlay), the disk holds
   * its overlay writes; at most one failover, after which the run goes on as a primary's. Oracle of
   * the mirror's refusals: a read, commit, failover, or a primary's flush or barrier that succeeds
   * must have come before any refusal, and after an operation failed every later one fails.
   *
   * @return writes dropped, writes sent while holding, 1 if promoted, 1 if a failover was refused
   */
  private static long[] runSecondary(int seed) {
    Random r = new Random(seed);
    MemoryPipe.Volume volume = new MemoryPipe.Volume(SIZE, seed).secondary();
    AtomicReference<MemoryPipe> current = new AtomicReference<>();
    WriteBehind disk =
        new WriteBehind(
            () -> {
              MemoryPipe p = new MemoryPipe(volume, 4 * SECTOR);
              current.set(p);
              return p;
            },
            SECONDARY);
    Model m = new Model();
    m.volume = volume;
    long commits = 0;
    long sentWhileHolding = 0;
    boolean promoted = false;
    boolean refusedFailover = false;
    try {
      for (int step = 0; step < STEPS; step++) {
        int op = r.nextInt(100);
        String trace = "secondary seed " + seed + " step " + step + " op " + op;
        boolean holding = disk.holdsOverlay();
        assertThat(holding).as(trace + ": holds until the failover").isEqualTo(!promoted);
        int queuedBefore = volume.writesQueued();
        if (op < 50) {
          try {
            write(r, disk, m, trace);
          } finally {
            if (holding) {
              sentWhileHolding += volume.writesQueued() - queuedBefore;
            }
          }
        } else if (op < 65) {
          int sectors = 1 + r.nextInt(4);
          int offset = r.nextInt(SIZE / SECTOR - sectors + 1) * SECTOR;
          byte[] back = new byte[sectors * SECTOR];
          m.answerSecondary(
              trace,
              volume,
              true,
              () -> disk.read(offset, back, 0, back.length),
              () -> {
                assertThat(back)
                    .as(trace + ": read-your-writes")
                    .isEqualTo(Arrays.copyOfRange(m.image, offset, offset + back.length));
                if (holding) {
                  assertThat(volume.writesQueued())
                      .as(trace + ": a secondary's read sends no held write")
                      .isEqualTo(queuedBefore);
                }
              });
        } else if (op < 75) {
          m.answerSecondary(
              trace,
              volume,
              !holding,
              disk::flush,
              () -> {
                if (holding) {
                  assertThat(volume.writesQueued())
                      .as(trace + ": a secondary's flush sends nothing")
                      .isEqualTo(queuedBefore);
                } else {
                  assertThat(volume.durable()).as(trace + ": flushed").isEqualTo(m.image);
                }
              });
        } else if (op < 85) {
          if (!promoted) {
            long n = ++commits;
            boolean refuse = r.nextInt(4) == 0;
            if (refuse) {
              volume.failNextCommit = new BarrierOrderException(n, n, "refused by the test");
            }
            boolean[] committed = {false};
            m.answerSecondary(
                trace,
                volume,
                true,
                () -> {
                  try {
                    disk.commit(n);
                  } catch (BarrierOrderException e) {
                    if (!refuse || volume.refusals() > 0) {
                      throw e;
                    }
                    // a refused commit changes nothing: the held writes stay (the next read or
                    // failover sees them)
                    assertThat(disk.failure()).as(trace + ": a refused commit").isNull();
                    return;
                  }
                  assertThat(refuse).as(trace + ": the refused commit succeeded").isFalse();
                  committed[0] = true;
                },
                () -> {
                  assertThat(volume.writesQueued())
                      .as(trace + ": a commit sends no held write")
                      .isEqualTo(queuedBefore);
                  if (committed[0]) {
                    m.image = new byte[SIZE]; // the overlay is discarded: the commit's image
                    assertThat(volume.image()).as(trace + ": committed").isEqualTo(m.image);
                    assertThat(disk.pendingWrites())
                        .as(trace + ": a commit drops every held write")
                        .isZero();
                  }
                });
            volume.failNextCommit = null;
          }
        } else if (op < 88) {
          if (!promoted && r.nextInt(3) == 0) {
            boolean ok =
                m.answerSecondary(
                    trace,
                    volume,
                    true,
                    () -> disk.failover(2),
                    () ->
                        assertThat(volume.image())
                            .as(trace + ": every held write is on the mirror before its failover")
                            .isEqualTo(m.image));
            if (ok) {
              promoted = true;
              assertThat(volume.role).isEqualTo(VolumeRole.PRIMARY);
            } else if (volume.refusals() > 0) {
              refusedFailover = true;
            }
          }
        } else if (op < 91) {
          if (promoted) {
            int before = volume.barrierCount();
            m.answerSecondary(
                trace,
                volume,
                true,
                () -> disk.barrier(before + 1L),
                () ->
                    assertThat(volume.barrier(before))
                        .as(trace + ": the barrier covers every earlier write")
                        .isEqualTo(m.image));
          }
        } else if (op < 95) {
          if (!m.failed && !m.armed) {
            volume.failNextWrite(new StaleEpochException(2, 1)); // the next write applied
            m.armed = true;
          }
        } else if (op < 97) {
          if (!m.failed) {
            current.get().breakNow();
            m.maybe |= m.unacknowledged;
          }
        } else {
          disk.push();
          if (holding) {
            assertThat(volume.writesQueued())
                .as(trace + ": a push sends no held overlay write")
                .isEqualTo(queuedBefore);
          }
        }
        if (m.armed && volume.failNextWrite == null) {
          m.armed = false; // consumed: counted in the volume's refusals
        }
        assertThat(volume.maxUnacknowledged)
            .as(trace + ": queue bound")
            .isLessThanOrEqualTo(SECONDARY.maxWrites());
      }
      return new long[] {
        disk.droppedWrites(), sentWhileHolding, promoted ? 1 : 0, refusedFailover ? 1 : 0
      };
    } finally {
      disk.close();
    }
  }

  /** What the VM may observe of the disk. */
  private static final class Model {
    byte[] image = new byte[SIZE]; // every write the disk accepted, in order
    boolean unacknowledged; // writes since the last successful read, flush or barrier
    boolean armed; // the mirror will refuse the next write
    boolean certain; // a write failed: the next read, flush or barrier must fail
    boolean maybe; // a write may have been lost with a broken stream
    boolean failed; // the disk reported its failure: every operation fails from now on
    MemoryPipe.Volume volume; // a secondary's run: the mirror's refusals are the oracle

    boolean refusedOn(String trace) {
      return volume != null && volume.refusals() > 0;
    }

    /** A read, flush or barrier: it succeeds with every earlier write, or reports the failure. */
    void answer(String trace, Runnable op, Runnable check) {
      try {
        op.run();
        assertThat(failed || certain).as(trace + ": a failed write went unreported").isFalse();
        check.run();
        unacknowledged = false;
        maybe = false;
      } catch (ColoException e) {
        assertThat(failed || certain || maybe).as(trace + ": unexpected " + e).isTrue();
        failed = true;
      }
    }

    /**
     * An operation of a secondary's run: it succeeds with its check, or fails because the mirror
     * refused a write or a stream broke with writes in flight; {@code reports} says whether a
     * refusal before it must fail it (not a holding secondary's flush, which waits for nothing).
     *
     * @return whether it succeeded
     */
    boolean answerSecondary(
        String trace, MemoryPipe.Volume volume, boolean reports, Runnable op, Runnable check) {
      try {
        op.run();
        assertThat(failed).as(trace + ": an operation after the disk failed succeeded").isFalse();
        if (reports) {
          assertThat(volume.refusals()).as(trace + ": a refused write went unreported").isZero();
        }
        check.run();
        if (reports) {
          unacknowledged = false;
          maybe = false;
        }
        return true;
      } catch (ColoException e) {
        assertThat(failed || volume.refusals() > 0 || maybe)
            .as(trace + ": unexpected " + e)
            .isTrue();
        failed = true;
        return false;
      }
    }
  }
}
