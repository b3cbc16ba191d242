package dev.coloha.mirror.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.mirror.testing.Faults;
import dev.coloha.mirror.testing.Settings;
import dev.coloha.mirror.testing.VolumePair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A commit empties the secondary VM's overlay by rewriting the same file from its start in a new
 * era (issue 18: no file created and none deleted while the secondary VM waits), and the overlay
 * keeps its meaning: the writes since the last commit, read first, merged at failover; the older
 * eras' records left behind the new ones are never read, also after a restart or a crash in the
 * middle of the commit.
 */
class OverlayReuseTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final long MB = 1 << 20;
  private static final long E = 1;

  @TempDir Path dir;

  private final Faults faults = new Faults();

  private VolumePair pair() throws Exception {
    VolumeSettings s = Settings.fast().withFaults(faults);
    VolumePair pair = new VolumePair(dir, 4 * MB, E, Settings.fast(), s);
    pair.resync();
    await().atMost(WAIT).until(() -> pair.primary().status().state().equals("REPLICATING"));
    pair.primary().barrier(E, 0);
    pair.secondary().commit(E, 0);
    return pair;
  }

  private static byte[] bytes(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  private static List<String> overlayFiles(Volume v) throws IOException {
    try (Stream<Path> files = Files.list(v.dir())) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("overlay-"))
          .sorted()
          .toList();
    }
  }

  @Test
  void aCommitRewritesTheOverlayFileInPlaceAndOlderErasAreNeverRead() throws Exception {
    try (VolumePair pair = pair()) {
      Volume p = pair.primary();
      Volume s = pair.secondary();
      Random rnd = new Random(23);
      byte[] primaryData = bytes(rnd, 64 << 10);
      p.write(E, 0, primaryData);
      p.barrier(E, 1);
      // the secondary VM's own writes: 16 records of 4 KiB over the same range
      for (int i = 0; i < 16; i++) {
        s.write(E, (long) i * 4096, bytes(rnd, 4096));
      }
      List<String> before = overlayFiles(s);
      assertThat(before).hasSize(1);
      long fileBytes = Files.size(s.dir().resolve(before.getFirst()));

      s.commit(E, 1);
      assertThat(overlayFiles(s)).as("the same file, no new one").isEqualTo(before);
      assertThat(Files.size(s.dir().resolve(before.getFirst())))
          .as("emptied in place, not truncated")
          .isEqualTo(fileBytes);
      assertThat(s.status().overlayBytes()).isZero();
      assertThat(s.read(E, 0, 64 << 10)).isEqualTo(primaryData);

      // one short write in the new era: the old records behind it stay in the file
      byte[] own = bytes(rnd, 512);
      s.write(E, 8192, own);
      byte[] expected = primaryData.clone();
      System.arraycopy(own, 0, expected, 8192, 512);
      assertThat(s.read(E, 0, 64 << 10)).isEqualTo(expected);

      pair.restartSecondary();
      s = pair.secondary();
      assertThat(overlayFiles(s)).isEqualTo(before);
      assertThat(s.status().overlaySectors()).as("the new era's one write only").isEqualTo(1);
      assertThat(s.read(E, 0, 64 << 10)).isEqualTo(expected);

      // a failover merges the new era's write only
      s.failover(E, E + 1);
      assertThat(s.role()).isEqualTo(VolumeRole.PRIMARY);
      assertThat(s.read(E + 1, 0, 64 << 10)).isEqualTo(expected);
    }
  }

  @Test
  void aCrashAfterTheCommitsStateLeavesAnEmptyOverlayAndTheNextEraCarriesOn() throws Exception {
    try (VolumePair pair = pair()) {
      Volume p = pair.primary();
      Random rnd = new Random(29);
      byte[] primaryData = bytes(rnd, 32 << 10);
      p.write(E, 0, primaryData);
      p.barrier(E, 1);
      assertThat(p.awaitReplicated(30, TimeUnit.SECONDS)).isTrue();
      for (int c = 1; c <= 3; c++) {
        // each era's writes over the last: the file holds records of several eras
        for (int i = 0; i < 4 + c; i++) {
          pair.secondary().write(E, (long) i * 4096, bytes(rnd, 4096));
        }
        if (c < 3) {
          p.barrier(E, c + 1);
          pair.secondary().commit(E, c);
        }
      }
      List<String> files = overlayFiles(pair.secondary());

      // a crash once the commit of barrier 3's state is written, before the overlay is emptied
      faults.arm(FaultPoint.COMMIT_AFTER_INTENT);
      assertThatThrownBy(() -> pair.secondary().commit(E, 3))
          .isInstanceOf(FaultPoint.SimulatedCrash.class);
      pair.restartSecondary();
      Volume s = pair.secondary();
      assertThat(s.status().committedBarrier()).isEqualTo(3);
      assertThat(s.status().overlayBytes()).as("the committed era's writes are gone").isZero();
      assertThat(s.read(E, 0, 32 << 10)).isEqualTo(primaryData);
      assertThat(overlayFiles(s)).isEqualTo(files);

      byte[] own = bytes(rnd, 1024);
      s.write(E, 4096, own);
      pair.restartSecondary();
      s = pair.secondary();
      byte[] expected = primaryData.clone();
      System.arraycopy(own, 0, expected, 4096, 1024);
      assertThat(s.read(E, 0, 32 << 10)).isEqualTo(expected);
      assertThat(s.status().overlaySectors()).isEqualTo(2);
    }
  }

  @Test
  void aLargeOverlayFileIsReplacedByANewOne() throws Exception {
    try (VolumePair pair = pair()) {
      Volume s = pair.secondary();
      pair.primary().barrier(E, 1);
      byte[] block = new byte[256 << 10];
      long written = 0;
      while (written <= SecondaryDisk.MAX_REUSED_OVERLAY_BYTES) {
        s.write(E, 0, block);
        written += block.length;
      }
      List<String> before = overlayFiles(s);
      s.commit(E, 1);
      List<String> after = overlayFiles(s);
      assertThat(after).hasSize(1).doesNotContainAnyElementsOf(before);
      assertThat(Files.size(s.dir().resolve(after.getFirst()))).isZero();
    }
  }
}
