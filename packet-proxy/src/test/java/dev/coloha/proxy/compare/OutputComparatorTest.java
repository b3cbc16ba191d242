package dev.coloha.proxy.compare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.proxy.compare.OutputComparator.Mode;
import dev.coloha.wire.io.IoFrame;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The release/hold/commit/failover state machine, without sockets or Spring. */
class OutputComparatorTest {
  static final long E = 1;
  static final long MS = 1_000_000;
  Recorder rec;
  OutputComparator cmp;
  long now = 1_000 * MS;

  @BeforeEach
  void setUp() {
    rec = new Recorder();
    cmp = comparator(Mode.COLO, 1 << 20, 1 << 24);
    cmp.primary(new IoFrame.Interval(E, 1), now);
    cmp.secondary(new IoFrame.Interval(E, 1), now);
  }

  OutputComparator comparator(Mode mode, long perConn, long perGroup) {
    return new OutputComparator(
        mode, new OutputComparator.Settings(100 * MS, 1000 * MS, perConn, perGroup, 16, 64), rec);
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  void p(int conn, long interval, long offset, String s) {
    cmp.primary(new IoFrame.Output(E, interval, conn, offset, b(s)), now);
  }

  void s(int conn, long interval, long offset, String s) {
    cmp.secondary(new IoFrame.Output(E, interval, conn, offset, b(s)), now);
  }

  @Test
  void everyChangeTellsTheGroupsBufferedBytes() {
    cmp.open(1);
    p(1, 1, 0, "+OK\r\n");
    assertThat(rec.buffered).isEqualTo(5).isEqualTo(cmp.buffered());
    s(1, 1, 0, "+OK\r\n-ERR");
    assertThat(rec.buffered).isEqualTo(4).isEqualTo(cmp.buffered());
    cmp.secondaryReconnected(1, now);
    assertThat(cmp.buffered()).isEqualTo(rec.buffered);
    cmp.commit(1, Map.of(), now);
    assertThat(rec.buffered).isZero().isEqualTo(cmp.buffered());
    p(1, 2, 5, "abc");
    cmp.forget(1);
    assertThat(rec.buffered).isZero();
  }

  @Test
  void identicalOutputIsReleasedAsSoonAsBothProducedIt() {
    cmp.open(1);
    p(1, 1, 0, "+OK\r\n$3\r\n");
    assertThat(rec.text(1)).isEmpty();
    s(1, 1, 0, "+OK\r\n");
    assertThat(rec.text(1)).isEqualTo("+OK\r\n");
    s(1, 1, 5, "$3\r\nabc\r\n");
    assertThat(rec.text(1)).isEqualTo("+OK\r\n$3\r\n");
    p(1, 1, 9, "abc\r\n");
    assertThat(rec.text(1)).isEqualTo("+OK\r\n$3\r\nabc\r\n");
    assertThat(rec.mismatches).isEmpty();
    assertThat(cmp.stats().compared()).isEqualTo(14);
    assertThat(cmp.stats().heldPrimary()).isZero();
    assertThat(cmp.stats().heldSecondary()).isZero();
  }

  @Test
  void aDifferingByteIsAMismatchAtItsOffsetAndHoldsOnlyThatConnection() {
    cmp.open(1);
    cmp.open(2);
    p(1, 1, 0, ":1700000000\r\n");
    s(1, 1, 0, ":1700000001\r\n");
    assertThat(rec.text(1)).isEqualTo(":170000000");
    assertThat(rec.mismatches).hasSize(1);
    Mismatch m = rec.mismatches.getFirst();
    assertThat(m.kind()).isEqualTo(MismatchKind.CONTENT);
    assertThat(m.conn()).isEqualTo(1);
    assertThat(m.interval()).isEqualTo(1);
    assertThat(m.offset()).isEqualTo(10);
    assertThat(new String(m.primarySample(), StandardCharsets.ISO_8859_1)).isEqualTo("0\r\n");
    assertThat(new String(m.secondarySample(), StandardCharsets.ISO_8859_1)).isEqualTo("1\r\n");
    assertThat(m.capture().window().before()).isNotEmpty();

    // the same connection stays held, even where the bytes agree again
    p(1, 1, 13, "+OK\r\n");
    s(1, 1, 13, "+OK\r\n");
    assertThat(rec.text(1)).isEqualTo(":170000000");
    // other connections keep being compared
    p(2, 1, 0, "+PONG\r\n");
    s(2, 1, 0, "+PONG\r\n");
    assertThat(rec.text(2)).isEqualTo("+PONG\r\n");

    // the commit releases exactly the primary's bytes, then comparison resumes
    assertThat(cmp.commit(1, Map.of(1, 18L, 2, 7L), now)).isTrue();
    assertThat(rec.text(1)).isEqualTo(":1700000000\r\n+OK\r\n");
    s(1, 2, 18, "+PONG\r\n");
    p(1, 2, 18, "+PONG\r\n");
    assertThat(rec.text(1)).isEqualTo(":1700000000\r\n+OK\r\n+PONG\r\n");
    assertThat(rec.mismatches).hasSize(1);
    assertThat(cmp.stats().heldSecondary()).isZero();
  }

  @Test
  void thePrimarysNextIntervalWaitsForTheCommitAndTheSecondarysOldIntervalIsDropped() {
    cmp.open(1);
    p(1, 1, 0, "aaaa");
    s(1, 1, 0, "aaaa");
    // checkpoint 1 on the primary: its further output is interval 2
    cmp.primary(new IoFrame.Interval(E, 2), now);
    p(1, 2, 4, "bbbb");
    // the secondary went on in interval 1 before it applied checkpoint 1
    s(1, 1, 4, "xx");
    assertThat(rec.text(1)).isEqualTo("aaaa");
    assertThat(rec.mismatches).isEmpty();
    // it applies: its interval 2 output starts at the primary's offset at the pause
    cmp.secondary(new IoFrame.Interval(E, 2), now);
    s(1, 2, 4, "bbbb");
    assertThat(rec.text(1)).isEqualTo("aaaa");
    cmp.commit(1, Map.of(1, 4L), now);
    assertThat(rec.text(1)).isEqualTo("aaaabbbb");
    assertThat(rec.mismatches).isEmpty();
    assertThat(cmp.stats().heldSecondary()).isZero();
    assertThat(cmp.stats().droppedSecondary()).isEqualTo(2);
  }

  @Test
  void aCommitAheadOfThePrimarysStreamReleasesItsBytesWhenTheyArrive() {
    cmp.open(1);
    p(1, 1, 0, "abc");
    s(1, 1, 0, "abd");
    assertThat(rec.text(1)).isEqualTo("ab");
    cmp.commit(1, Map.of(1, 6L), now);
    assertThat(rec.text(1)).isEqualTo("abc");
    p(1, 1, 3, "def"); // still interval 1: covered by the commit
    assertThat(rec.text(1)).isEqualTo("abcdef");
    s(1, 2, 6, "ghi");
    p(1, 2, 6, "ghi");
    assertThat(rec.text(1)).isEqualTo("abcdefghi");
  }

  @Test
  void anOldOrRepeatedCommitChangesNothing() {
    cmp.open(1);
    assertThat(cmp.commit(3, Map.of(), now)).isTrue();
    assertThat(cmp.commit(3, Map.of(), now)).isFalse();
    assertThat(cmp.commit(2, Map.of(), now)).isFalse();
    assertThat(cmp.stats().compareInterval()).isEqualTo(4);
  }

  @Test
  void oneSideAheadForLongerThanTheTimeoutIsATimeoutMismatchButNotAHold() {
    cmp.open(1);
    p(1, 1, 0, "+OK\r\n");
    now += 50 * MS;
    cmp.tick(now);
    assertThat(rec.mismatches).isEmpty();
    now += 60 * MS;
    cmp.tick(now);
    assertThat(rec.mismatches).hasSize(1);
    assertThat(rec.mismatches.getFirst().kind()).isEqualTo(MismatchKind.TIMEOUT);
    assertThat(rec.mismatches.getFirst().detail()).contains("primary is ahead");
    cmp.tick(now + 500 * MS);
    assertThat(rec.mismatches).hasSize(1); // once per episode
    s(1, 1, 0, "+OK\r\n"); // the secondary catches up with the same bytes: released
    assertThat(rec.text(1)).isEqualTo("+OK\r\n");
  }

  @Test
  void theSecondaryAheadTimesOutToo() {
    cmp.open(1);
    s(1, 1, 0, "+OK\r\n");
    now += 200 * MS;
    cmp.tick(now);
    assertThat(rec.mismatches)
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.kind()).isEqualTo(MismatchKind.TIMEOUT);
              assertThat(m.detail()).contains("secondary is ahead");
              assertThat(m.secondaryEnd()).isEqualTo(5);
            });
  }

  @Test
  void aCheckpointUnderWayIsNotACompareTimeoutTheCommitResolvesWhatWaits() {
    cmp.open(1);
    p(1, 1, 0, "+OK\r\n");
    s(1, 1, 0, "+OK\r\n");
    // checkpoint 1 is captured: the primary's next output is of interval 2 and waits for the
    // commit; the secondary, not yet paused for the apply, still answers in interval 1 (bytes the
    // commit drops)
    cmp.primary(new IoFrame.Interval(E, 2), now);
    p(1, 2, 5, "+OK\r\n");
    s(1, 1, 5, "+OK\r\n");
    now += 500 * MS; // far past the compare timeout, within the commit wait
    cmp.tick(now);
    assertThat(rec.mismatches).isEmpty();
    cmp.commit(1, Map.of(1, 5L), now);
    // a new episode: the secondary runs interval 2 now, and has the compare timeout to catch up
    now += 60 * MS;
    cmp.tick(now);
    assertThat(rec.mismatches).isEmpty();
    s(1, 2, 5, "+OK\r\n");
    assertThat(rec.text(1)).isEqualTo("+OK\r\n+OK\r\n");
    assertThat(rec.mismatches).isEmpty();
  }

  @Test
  void afterTheCommitTheCompareTimeoutAppliesAgain() {
    cmp.open(1);
    cmp.primary(new IoFrame.Interval(E, 2), now);
    p(1, 2, 0, "+OK\r\n");
    now += 300 * MS;
    cmp.tick(now);
    cmp.commit(1, Map.of(1, 0L), now);
    now += 110 * MS; // the secondary produced nothing of interval 2 since the commit
    cmp.tick(now);
    assertThat(rec.mismatches)
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.kind()).isEqualTo(MismatchKind.TIMEOUT);
              assertThat(m.detail()).contains("the primary is ahead for 110 ms");
            });
  }

  @Test
  void aCommitThatNeverComesTimesOutAfterTheCommitWait() {
    cmp.open(1);
    cmp.primary(new IoFrame.Interval(E, 2), now);
    p(1, 2, 0, "+OK\r\n");
    now += 990 * MS;
    cmp.tick(now);
    assertThat(rec.mismatches).isEmpty();
    now += 20 * MS;
    cmp.tick(now);
    assertThat(rec.mismatches)
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.kind()).isEqualTo(MismatchKind.TIMEOUT);
              assertThat(m.detail())
                  .contains("the primary's output of interval 2 waits for the commit of 1");
            });
  }

  @Test
  void closesAreComparedToo() {
    cmp.open(1);
    cmp.open(2);
    cmp.open(3);
    // both close at the same offset: the client is closed after the last byte
    p(1, 1, 0, "+OK\r\n");
    cmp.primary(new IoFrame.Closed(E, 1, 1, 5), now);
    assertThat(rec.closed).isEmpty();
    s(1, 1, 0, "+OK\r\n");
    assertThat(rec.closed).isEmpty();
    cmp.secondary(new IoFrame.Closed(E, 1, 1, 5), now);
    assertThat(rec.closed).containsExactly(1);
    assertThat(rec.text(1)).isEqualTo("+OK\r\n");

    // the primary closes, the secondary goes on
    cmp.primary(new IoFrame.Closed(E, 1, 2, 0), now);
    s(2, 1, 0, "-ERR\r\n");
    assertThat(rec.mismatches)
        .last()
        .satisfies(
            m -> {
              assertThat(m.kind()).isEqualTo(MismatchKind.CLOSE);
              assertThat(m.conn()).isEqualTo(2);
              assertThat(m.offset()).isZero();
            });

    // the secondary closes early
    s(3, 1, 0, "ab");
    cmp.secondary(new IoFrame.Closed(E, 1, 3, 2), now);
    p(3, 1, 0, "abc");
    assertThat(rec.text(3)).isEqualTo("ab");
    assertThat(rec.mismatches)
        .last()
        .satisfies(
            m -> {
              assertThat(m.kind()).isEqualTo(MismatchKind.CLOSE);
              assertThat(m.conn()).isEqualTo(3);
              assertThat(m.offset()).isEqualTo(2);
            });
    assertThat(rec.closed).containsExactly(1);
    // the commit resolves it the primary's way
    cmp.primary(new IoFrame.Closed(E, 1, 3, 3), now);
    cmp.commit(1, Map.of(), now);
    assertThat(rec.text(3)).isEqualTo("abc");
    assertThat(rec.closed).containsExactlyInAnyOrder(1, 2, 3);
  }

  @Test
  void aOneSidedCloseThatNeverMatchesTimesOutAsACloseMismatch() {
    cmp.open(1);
    cmp.primary(new IoFrame.Closed(E, 1, 1, 0), now);
    now += 200 * MS;
    cmp.tick(now);
    assertThat(rec.mismatches)
        .singleElement()
        .satisfies(m -> assertThat(m.kind()).isEqualTo(MismatchKind.CLOSE));
  }

  @Test
  void failoverContinuesTheStreamFromTheSecondaryWithNoGapAndNoDuplicate() {
    cmp.open(1);
    cmp.open(2);
    // conn 1: matched "hello ", then diverged; the secondary's own bytes continue its stream
    p(1, 1, 0, "hello world");
    s(1, 1, 0, "hello there, friend");
    assertThat(rec.text(1)).isEqualTo("hello ");
    // conn 2: the primary is ahead (held), the secondary lags
    p(2, 1, 0, "0123456789");
    s(2, 1, 0, "0123");
    assertThat(rec.text(2)).isEqualTo("0123");

    cmp.failoverToSecondary(now);
    assertThat(rec.text(1)).isEqualTo("hello there, friend");
    assertThat(rec.text(2)).isEqualTo("0123");
    // the new primary's later output is released as it comes
    cmp.primary(new IoFrame.Output(E + 1, 1, 2, 4, b("456789!")), now);
    assertThat(rec.text(2)).isEqualTo("0123456789!");
    cmp.primary(new IoFrame.Output(E + 1, 1, 1, 19, b("!")), now);
    assertThat(rec.text(1)).isEqualTo("hello there, friend!");
    assertThat(rec.resets).isEmpty();
  }

  @Test
  void failoverReleasesWhatACheckpointTheSecondaryAppliedCovers() {
    cmp.open(1);
    p(1, 1, 0, "AAAA");
    s(1, 1, 0, "AAAB");
    assertThat(rec.text(1)).isEqualTo("AAA");
    // checkpoint 1: the primary paused at 4; the secondary applied it, the commit never came
    cmp.primary(new IoFrame.Interval(E, 2), now);
    p(1, 2, 4, "CC");
    cmp.secondary(new IoFrame.Interval(E, 2), now);
    s(1, 2, 4, "CCD");
    cmp.failoverToSecondary(now);
    assertThat(rec.text(1)).isEqualTo("AAAACCD");
    assertThat(rec.resets).isEmpty();
  }

  @Test
  void failoverWithoutSecondaryOutputResumesAtTheReleasedOffset() {
    cmp.open(1);
    p(1, 1, 0, "abc");
    s(1, 1, 0, "abc");
    cmp.commit(1, Map.of(1, 3L), now);
    cmp.failoverToSecondary(now);
    cmp.primary(new IoFrame.Output(E + 1, 2, 1, 3, b("def")), now);
    assertThat(rec.text(1)).isEqualTo("abcdef");
  }

  @Test
  void failoverResetsAConnectionWhoseCommittedOutputNeverArrived() {
    cmp.open(1);
    p(1, 1, 0, "abc");
    s(1, 1, 0, "abc");
    // commit says the primary had produced 6 bytes; 3 of them were lost with the primary
    cmp.commit(1, Map.of(1, 6L), now);
    cmp.failoverToSecondary(now);
    assertThat(rec.resets).containsKey(1);
  }

  @Test
  void dropSecondaryReleasesWhatWasHeld() {
    cmp.open(1);
    p(1, 1, 0, "12345");
    s(1, 1, 0, "12");
    cmp.dropSecondary(now);
    assertThat(rec.text(1)).isEqualTo("12345");
    p(1, 1, 5, "6");
    assertThat(rec.text(1)).isEqualTo("123456");
    assertThat(cmp.stats().mode()).isEqualTo(Mode.SINGLE);
  }

  @Test
  void passthroughReleasesAtOnce() {
    rec = new Recorder();
    cmp = comparator(Mode.SINGLE, 1 << 20, 1 << 24);
    cmp.open(1);
    cmp.primary(new IoFrame.Interval(E, 0), now);
    p(1, 0, 0, "+PONG\r\n");
    assertThat(rec.text(1)).isEqualTo("+PONG\r\n");
    cmp.primary(new IoFrame.Closed(E, 0, 1, 7), now);
    assertThat(rec.closed).containsExactly(1);
  }

  @Test
  void heldBytesOverTheLimitsArePressure() {
    rec = new Recorder();
    cmp = comparator(Mode.COLO, 8, 12);
    cmp.primary(new IoFrame.Interval(E, 1), now);
    cmp.open(1);
    cmp.open(2);
    p(1, 1, 0, "123456789");
    assertThat(rec.pressure).containsExactly("1:true");
    p(2, 1, 0, "1234");
    assertThat(rec.pressure).containsExactly("1:true", "-1:true");
    s(1, 1, 0, "123456789");
    s(2, 1, 0, "1234");
    assertThat(rec.pressure).containsExactly("1:true", "-1:true", "1:false", "-1:false");
  }

  @Test
  void aSecondaryReattachedAfterACheckpointIsComparedFromTheNextInterval() {
    cmp.open(1);
    p(1, 1, 0, "ab");
    cmp.dropSecondary(now);
    assertThat(rec.text(1)).isEqualTo("ab");
    // the primary is checkpointed to a new secondary (checkpoint 5); output goes on meanwhile
    cmp.primary(new IoFrame.Interval(E, 6), now);
    p(1, 6, 2, "cd");
    assertThat(rec.text(1)).isEqualTo("abcd");
    cmp.attachSecondary(5, Map.of(1, 2L), Set.of(), now);
    // the new secondary's bytes below what was already released are not compared
    cmp.secondary(new IoFrame.Interval(E + 1, 6), now);
    s(1, 6, 2, "cd");
    p(1, 6, 4, "ef");
    assertThat(rec.text(1)).isEqualTo("abcd");
    s(1, 6, 4, "ef");
    assertThat(rec.text(1)).isEqualTo("abcdef");
    assertThat(rec.mismatches).isEmpty();
  }

  @Test
  void anUnprotectableConnectionIsReleasedUncomparedAndResetAtFailover() {
    cmp.open(1);
    cmp.dropSecondary(now);
    cmp.attachSecondary(3, Map.of(), Set.of(1), now);
    p(1, 4, 0, "xy");
    assertThat(rec.text(1)).isEqualTo("xy");
    cmp.failoverToSecondary(now);
    assertThat(rec.resets).containsKey(1);
  }

  @Test
  void aReconnectedSecondaryStreamCannotMatchUntilTheNextCommit() {
    cmp.open(1);
    p(1, 1, 0, "abc");
    cmp.secondaryReconnected(1, now);
    s(1, 1, 0, "abc");
    assertThat(rec.text(1)).isEmpty();
    assertThat(rec.mismatches)
        .singleElement()
        .satisfies(m -> assertThat(m.detail()).contains("lost bytes"));
    cmp.commit(1, Map.of(1, 3L), now);
    assertThat(rec.text(1)).isEqualTo("abc");
    s(1, 2, 3, "d");
    p(1, 2, 3, "d");
    assertThat(rec.text(1)).isEqualTo("abcd");
  }

  @Test
  void aGapInThePrimarysStreamResetsTheConnection() {
    cmp.open(1);
    p(1, 1, 0, "ab");
    p(1, 1, 5, "cd");
    assertThat(rec.resets).containsKey(1);
  }

  @Test
  void duplicatedPrimaryBytesAreIgnored() {
    cmp.open(1);
    p(1, 1, 0, "abcd");
    p(1, 1, 2, "cdef");
    s(1, 1, 0, "abcdef");
    assertThat(rec.text(1)).isEqualTo("abcdef");
  }

  @Test
  void outputForUnknownConnectionsIsIgnored() {
    p(9, 1, 0, "zz");
    s(9, 1, 0, "zz");
    assertThat(rec.released).isEmpty();
    assertThat(cmp.stats().droppedSecondary()).isEqualTo(2);
  }
}
