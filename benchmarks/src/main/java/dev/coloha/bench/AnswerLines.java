package dev.coloha.bench;

import dev.coloha.microvm.OutputSink;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A harness's VM output: counts the answer lines ({@code \n}) a guest wrote, for harnesses that
 * send a batch, wait for its answers and send the next.
 */
final class AnswerLines implements OutputSink {
  private final AtomicLong lines = new AtomicLong();
  private volatile Waiter waiter;

  private record Waiter(long lines, CountDownLatch reached) {}

  @Override
  public void output(int conn, long interval, long offset, byte[] bytes) {
    long n = 0;
    for (byte b : bytes) {
      if (b == '\n') {
        n++;
      }
    }
    long total = lines.addAndGet(n);
    Waiter w = waiter;
    if (w != null && total >= w.lines()) {
      w.reached().countDown();
    }
  }

  @Override
  public void closed(int conn, long interval, long endOffset) {}

  /** Lines answered so far. */
  long count() {
    return lines.get();
  }

  /** Spins until {@code n} lines are answered (pacing: one batch per wake-up of the guest). */
  void spinUntil(long n) {
    while (lines.get() < n) {
      Thread.onSpinWait();
    }
  }

  /** Blocks until {@code n} lines are answered; fails after {@code within}. */
  void await(long n, Duration within) throws InterruptedException {
    Waiter w = new Waiter(n, new CountDownLatch(1));
    waiter = w;
    if (lines.get() < n && !w.reached().await(within.toNanos(), TimeUnit.NANOSECONDS)) {
      throw new IllegalStateException("only " + lines.get() + " of " + n + " answers");
    }
  }
}
