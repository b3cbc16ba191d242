package dev.coloha.bench;

import dev.coloha.proxy.compare.Chunk;
import dev.coloha.proxy.compare.Mismatch;
import dev.coloha.proxy.compare.OutputComparator;
import dev.coloha.proxy.compare.OutputEffects;
import dev.coloha.wire.io.IoFrame;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Comparator throughput on one core, in bytes per second (one JMH operation is one output byte of
 * one replica): 1 MiB of identical output of both replicas, chunked differently on each side, goes
 * through the proxy's {@link OutputComparator} exactly as the output streams deliver it (frames
 * interleaved by offset, a chunk object per frame, release to a discarding client). {@code memcmp}
 * is the floor: {@link Arrays#mismatch} over the same two arrays, no framing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx1g"})
public class ComparatorBenchmark {
  static final int STREAM = 1 << 20;

  /** Primary chunk size; the secondary's chunks are 3/2 of it plus 7 bytes (never aligned). */
  @Param({"1460", "16384"})
  int chunk;

  /** Bytes kept for forensics on each side (the default 4 KiB, or off). */
  @Param({"4096", "0"})
  int forensics;

  byte[] data;
  byte[] copy;
  List<IoFrame> frames;

  @Setup(Level.Trial)
  public void setUp() {
    data = new byte[STREAM];
    new Random(42).nextBytes(data);
    copy = data.clone();
    List<IoFrame.Output> p = chunks(chunk, 1);
    List<IoFrame.Output> s = chunks(chunk * 3 / 2 + 7, 2);
    frames = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < p.size() || j < s.size()) {
      boolean takeP = j == s.size() || (i < p.size() && end(p.get(i)) <= end(s.get(j)));
      frames.add(takeP ? p.get(i++) : s.get(j++));
    }
  }

  private static long end(IoFrame.Output o) {
    return o.offset() + o.bytes().length;
  }

  private List<IoFrame.Output> chunks(int size, long epoch) {
    List<IoFrame.Output> out = new ArrayList<>();
    for (int at = 0; at < STREAM; at += size) {
      int n = Math.min(size, STREAM - at);
      out.add(new IoFrame.Output(epoch, 1, 1, at, Arrays.copyOfRange(data, at, at + n)));
    }
    return out;
  }

  private static final OutputEffects DISCARD =
      new OutputEffects() {
        @Override
        public void release(int conn, Chunk bytes) {}

        @Override
        public void closeClient(int conn) {}

        @Override
        public void resetClient(int conn, String reason) {}

        @Override
        public void mismatch(Mismatch mismatch) {
          throw new IllegalStateException("identical streams mismatched");
        }

        @Override
        public void pressure(int conn, boolean over, long bytes) {}

        @Override
        public void buffered(long bytes) {}
      };

  @Benchmark
  @OperationsPerInvocation(STREAM)
  public long compare() {
    OutputComparator cmp =
        new OutputComparator(
            OutputComparator.Mode.COLO,
            new OutputComparator.Settings(
                1_000_000_000L, 1_000_000_000L, 1L << 30, 1L << 30, 64, forensics),
            DISCARD);
    cmp.primary(new IoFrame.Interval(1, 1), 0);
    cmp.open(1);
    for (IoFrame f : frames) {
      if (((IoFrame.Output) f).epoch() == 1) {
        cmp.primary(f, 0);
      } else {
        cmp.secondary(f, 0);
      }
    }
    return cmp.stats().compared();
  }

  @Benchmark
  @OperationsPerInvocation(STREAM)
  public void memcmp(Blackhole bh) {
    bh.consume(Arrays.mismatch(data, copy));
  }
}
