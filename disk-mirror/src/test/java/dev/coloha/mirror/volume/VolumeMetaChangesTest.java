package dev.coloha.mirror.volume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.mirror.volume.VolumeMeta.Intent;
import org.junit.jupiter.api.Test;

/** Each change of {@link VolumeMeta} sets what it names and copies every other field as it was. */
class VolumeMetaChangesTest {
  /** Every field set, and to a value no other field has. */
  private final VolumeMeta m =
      new VolumeMeta(
          "v",
          4096,
          VolumeRole.SECONDARY,
          5,
          "http://s",
          "sv",
          true,
          11,
          12,
          13,
          14,
          15,
          16,
          10,
          Intent.COMMIT,
          17,
          18,
          19);

  @Test
  void aChangeOfSomeFieldsChangesThoseOnly() {
    assertThat(only(m.withEpoch(6), "epoch").epoch()).isEqualTo(6);
    VolumeMeta s = only(m.withSecondary("http://t", "tv"), "secondaryUrl", "secondaryVolume");
    assertThat(s.secondaryUrl()).isEqualTo("http://t");
    assertThat(s.secondaryVolume()).isEqualTo("tv");
    assertThat(only(m.withFreshOverlay(true), "overlayGen").overlayGen()).isEqualTo(17);
    assertThat(only(m.withFreshOverlay(false), "overlayGen", "overlayFile"))
        .extracting(VolumeMeta::overlayGen, VolumeMeta::overlayFile)
        .containsExactly(17, 17);
  }

  @Test
  void aJournalChangeSetsTheReplicationStateWithAppliedAtItsPosition() {
    VolumeMeta j =
        only(
            m.withJournal(false, 21, 22, 23, 24, 25),
            "synced",
            "committedBarrier",
            "committedPos",
            "appliedPos",
            "seqFloor",
            "journalGen",
            "overlayGen",
            "overlayFile");
    assertThat(j.overlayFile()).isEqualTo(25);
    assertThat(j)
        .extracting(
            VolumeMeta::synced,
            VolumeMeta::committedBarrier,
            VolumeMeta::committedPos,
            VolumeMeta::appliedPos,
            VolumeMeta::seqFloor,
            VolumeMeta::journalGen,
            VolumeMeta::overlayGen)
        .containsExactly(false, 21L, 22L, 22L, 23L, 24, 25);
  }

  @Test
  void intentsAreSetAndForgottenWhole() {
    VolumeMeta f =
        only(m.withFailoverIntent(9), "intent", "intentBarrier", "intentPos", "intentEpoch");
    assertThat(f)
        .extracting(
            VolumeMeta::intent,
            VolumeMeta::intentBarrier,
            VolumeMeta::intentPos,
            VolumeMeta::intentEpoch)
        .containsExactly(Intent.FAILOVER, -1L, 0L, 9L);
    assertNoIntent(only(m.withoutIntent(), "intent", "intentBarrier", "intentPos", "intentEpoch"));
  }

  @Test
  void aCommitMovesTheJournalPositionsAndEndsTheIntent() {
    String[] changed = {
      "committedBarrier",
      "committedPos",
      "appliedPos",
      "overlayGen",
      "intent",
      "intentBarrier",
      "intentPos",
      "intentEpoch"
    };
    VolumeMeta kept = only(m.committedAt(31, 32, 33, false, true), changed);
    assertThat(kept)
        .extracting(
            VolumeMeta::committedBarrier,
            VolumeMeta::committedPos,
            VolumeMeta::appliedPos,
            VolumeMeta::overlayGen)
        .containsExactly(31L, 32L, 33L, 16);
    assertNoIntent(kept);
    VolumeMeta reused = only(m.committedAt(31, 32, 33, true, true), changed);
    assertThat(reused.overlayGen()).isEqualTo(17);
    assertThat(reused.overlayEra()).isEqualTo(7);
    String[] withFile = java.util.Arrays.copyOf(changed, changed.length + 1);
    withFile[changed.length] = "overlayFile";
    assertThat(only(m.committedAt(31, 32, 33, true, false), withFile))
        .extracting(VolumeMeta::overlayGen, VolumeMeta::overlayFile, VolumeMeta::overlayEra)
        .containsExactly(17, 17, 0);
  }

  @Test
  void aPromotionMakesAPrimaryInTheHigherEpochWithFreshFiles() {
    VolumeMeta p =
        only(
            m.promoted(),
            "role",
            "epoch",
            "secondaryUrl",
            "secondaryVolume",
            "synced",
            "committedPos",
            "appliedPos",
            "seqFloor",
            "journalGen",
            "overlayGen",
            "overlayFile",
            "intent",
            "intentBarrier",
            "intentPos",
            "intentEpoch");
    assertThat(p.overlayFile()).isEqualTo(17);
    assertThat(p)
        .extracting(
            VolumeMeta::role,
            VolumeMeta::epoch,
            VolumeMeta::secondaryUrl,
            VolumeMeta::secondaryVolume,
            VolumeMeta::synced,
            VolumeMeta::committedPos,
            VolumeMeta::appliedPos,
            VolumeMeta::seqFloor,
            VolumeMeta::journalGen,
            VolumeMeta::overlayGen)
        .containsExactly(VolumeRole.PRIMARY, 19L, null, null, false, 0L, 0L, 0L, 16, 17);
    assertNoIntent(p);
  }

  private static void assertNoIntent(VolumeMeta v) {
    assertThat(v)
        .extracting(
            VolumeMeta::intent,
            VolumeMeta::intentBarrier,
            VolumeMeta::intentPos,
            VolumeMeta::intentEpoch)
        .containsExactly(Intent.NONE, -1L, 0L, 0L);
  }

  /** {@code changed}, asserted equal to the fixture in every field but {@code fields}. */
  private VolumeMeta only(VolumeMeta changed, String... fields) {
    assertThat(changed).usingRecursiveComparison().ignoringFields(fields).isEqualTo(m);
    return changed;
  }
}
