package dev.coloha.agent.stream;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Input submitted to a VM but not yet consumed by its guest, over all connections. The input stream
 * reader waits while it is above the high watermark, so a slow guest pushes back on the proxy (and
 * the proxy on its clients) instead of queueing without bound.
 */
public final class InputFlow {
  private final long highWatermark;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition below = lock.newCondition();
  private final Map<Integer, long[]> perConn = new HashMap<>(); // [submitted, consumed]
  private long outstanding;

  public InputFlow(long highWatermark) {
    this.highWatermark = highWatermark;
  }

  /** Input of {@code conn} now reaches {@code end}. */
  public void submitted(int conn, long end) {
    lock.lock();
    try {
      long[] s = perConn.computeIfAbsent(conn, c -> new long[2]);
      if (end > s[0]) {
        outstanding += end - Math.max(s[0], s[1]);
        s[0] = end;
      }
    } finally {
      lock.unlock();
    }
  }

  /** The guest consumed {@code conn}'s input up to {@code offset}. */
  public void consumed(int conn, long offset) {
    lock.lock();
    try {
      long[] s = perConn.computeIfAbsent(conn, c -> new long[2]);
      if (offset > s[1]) {
        outstanding -= Math.min(offset, s[0]) - Math.min(s[1], s[0]);
        s[1] = offset;
      }
      outstanding = Math.max(0, outstanding);
      below.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** A connection is over: forget its accounting. */
  public void ended(int conn) {
    lock.lock();
    try {
      long[] s = perConn.remove(conn);
      if (s != null) {
        outstanding = Math.max(0, outstanding - Math.max(0, s[0] - s[1]));
      }
      below.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Blocks while more than the high watermark is outstanding (or until interrupted). */
  public void awaitRoom() throws InterruptedException {
    lock.lock();
    try {
      while (outstanding > highWatermark) {
        below.await();
      }
    } finally {
      lock.unlock();
    }
  }

  public long outstanding() {
    lock.lock();
    try {
      return outstanding;
    } finally {
      lock.unlock();
    }
  }
}
