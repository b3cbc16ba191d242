package dev.coloha.proxy.compare;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.proxy.compare.OutputComparator.Mode;
import dev.coloha.wire.io.IoFrame;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Properties of the comparator over many seeded random cases: re-chunking identical streams never
 * mismatches, and a single changed byte mismatches at exactly its offset.
 */
class ComparatorPropertyTest {
  static final int SEEDS = 2_000;

  /** Splits a stream into random chunks (sizes 1..max, now and then larger ones). */
  static List<IoFrame.Output> chunk(Random r, byte[] data, int conn, boolean primary) {
    List<IoFrame.Output> out = new ArrayList<>();
    int max = 1 + r.nextInt(r.nextBoolean() ? 16 : 5000);
    int at = 0;
    while (at < data.length) {
      int n = Math.min(data.length - at, 1 + r.nextInt(max));
      out.add(
          new IoFrame.Output(primary ? 1 : 2, 1, conn, at, Arrays.copyOfRange(data, at, at + n)));
      at += n;
    }
    return out;
  }

  /** Feeds both sides' frames in a random interleaving (each side in its own order). */
  static void interleave(
      Random r, OutputComparator cmp, List<IoFrame.Output> p, List<IoFrame.Output> s) {
    int i = 0;
    int j = 0;
    while (i < p.size() || j < s.size()) {
      boolean takeP = j == s.size() || (i < p.size() && r.nextBoolean());
      if (takeP) {
        cmp.primary(p.get(i++), 0);
      } else {
        cmp.secondary(s.get(j++), 0);
      }
    }
  }

  static byte[] stream(Random r) {
    int len = r.nextInt(10) == 0 ? r.nextInt(100_000) : r.nextInt(3_000);
    byte[] data = new byte[len];
    if (r.nextBoolean()) {
      r.nextBytes(data);
    } else {
      // repetitive text: a differing byte is not found by luck
      for (int k = 0; k < len; k++) {
        data[k] = (byte) "+OK\r\n$5\r\nvalue\r\n".charAt(k % 16);
      }
    }
    return data;
  }

  static OutputComparator comparator(Recorder rec) {
    OutputComparator cmp =
        new OutputComparator(
            Mode.COLO,
            new OutputComparator.Settings(
                1_000_000_000L, 1_000_000_000L, 1L << 40, 1L << 40, 32, 256),
            rec);
    cmp.primary(new IoFrame.Interval(1, 1), 0);
    cmp.secondary(new IoFrame.Interval(1, 1), 0);
    return cmp;
  }

  @Test
  void anyRechunkingOfIdenticalStreamsNeverMismatches() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random r = new Random(seed);
      Recorder rec = new Recorder();
      OutputComparator cmp = comparator(rec);
      int conns = 1 + r.nextInt(3);
      byte[][] data = new byte[conns][];
      List<IoFrame.Output> p = new ArrayList<>();
      List<IoFrame.Output> s = new ArrayList<>();
      for (int c = 0; c < conns; c++) {
        cmp.open(c);
        data[c] = stream(r);
        p.addAll(chunk(r, data[c], c, true));
        s.addAll(chunk(r, data[c], c, false));
      }
      // connections interleave too, but each connection's frames stay in order
      interleave(r, cmp, shuffleByConnection(r, p), shuffleByConnection(r, s));
      assertThat(rec.mismatches).as("seed %d", seed).isEmpty();
      for (int c = 0; c < conns; c++) {
        assertThat(rec.bytes(c)).as("seed %d conn %d", seed, c).isEqualTo(data[c]);
      }
      OutputComparator.Stats st = cmp.stats();
      assertThat(st.heldPrimary()).as("seed %d", seed).isZero();
      assertThat(st.heldSecondary()).as("seed %d", seed).isZero();
    }
  }

  @Test
  void anySingleChangedByteMismatchesAtExactlyItsOffset() {
    for (int seed = 0; seed < SEEDS; seed++) {
      Random r = new Random(seed);
      Recorder rec = new Recorder();
      OutputComparator cmp = comparator(rec);
      byte[] data = stream(r);
      if (data.length == 0) {
        continue;
      }
      byte[] changed = data.clone();
      int at = r.nextInt(data.length);
      changed[at] = (byte) (changed[at] ^ (1 + r.nextInt(255)));
      boolean inPrimary = r.nextBoolean();
      cmp.open(7);
      interleave(
          r,
          cmp,
          chunk(r, inPrimary ? changed : data, 7, true),
          chunk(r, inPrimary ? data : changed, 7, false));
      assertThat(rec.mismatches).as("seed %d", seed).hasSize(1);
      Mismatch m = rec.mismatches.getFirst();
      assertThat(m.kind()).as("seed %d", seed).isEqualTo(MismatchKind.CONTENT);
      assertThat(m.offset()).as("seed %d", seed).isEqualTo(at);
      assertThat(m.primarySample()[0]).isEqualTo((inPrimary ? changed : data)[at]);
      assertThat(m.secondarySample()[0]).isEqualTo((inPrimary ? data : changed)[at]);
      // exactly the common prefix reached the client, nothing after it
      assertThat(rec.bytes(7)).as("seed %d", seed).isEqualTo(Arrays.copyOf(data, at));
      // and the commit releases exactly the primary's bytes
      cmp.commit(1, java.util.Map.of(), 0);
      assertThat(rec.bytes(7)).as("seed %d", seed).isEqualTo(inPrimary ? changed : data);
    }
  }

  /** A random interleaving of per-connection frame lists that keeps each connection's order. */
  static List<IoFrame.Output> shuffleByConnection(Random r, List<IoFrame.Output> frames) {
    List<List<IoFrame.Output>> per = new ArrayList<>();
    for (IoFrame.Output f : frames) {
      while (per.size() <= f.conn()) {
        per.add(new ArrayList<>());
      }
      per.get(f.conn()).add(f);
    }
    int[] next = new int[per.size()];
    List<IoFrame.Output> out = new ArrayList<>(frames.size());
    while (out.size() < frames.size()) {
      int c = r.nextInt(per.size());
      if (next[c] < per.get(c).size()) {
        out.add(per.get(c).get(next[c]++));
      }
    }
    return out;
  }
}
