package dev.coloha.mirror.replication;

import dev.coloha.wire.block.BlockFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongFunction;

/**
 * The primary's frames for its secondary, in order, from the moment they are written until the
 * secondary acknowledges them. It numbers them (sequence numbers rise by one, never skipping), so a
 * reconnecting forwarder resends exactly what the secondary lacks. Bounded in bytes and frames: a
 * full queue makes the writer wait (backpressure), it never drops a frame.
 */
public final class ReplicationQueue {
  /** One queued frame. */
  public record Entry(long seq, BlockFrame.Replica frame, int bytes, long enqueuedNanos) {}

  private final long maxBytes;
  private final int maxEntries;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notFull = lock.newCondition();
  private final Condition notEmpty = lock.newCondition();
  private final List<Entry> entries = new ArrayList<>();
  private int head;
  private long bytes;
  private long nextSeq = 1;
  private long ackedSeq;
  private long ackedBytes;
  private boolean closed;

  public ReplicationQueue(long maxBytes, int maxEntries) {
    this.maxBytes = maxBytes;
    this.maxEntries = maxEntries;
  }

  /**
   * Numbers and queues a frame made by {@code make} from its sequence number, waiting up to {@code
   * timeoutNanos} for room.
   *
   * @return the sequence number, or -1 if there was no room in time or the queue is closed
   */
  public long append(LongFunction<BlockFrame.Replica> make, int payloadBytes, long timeoutNanos)
      throws InterruptedException {
    int size = payloadBytes + 32;
    lock.lock();
    try {
      long left = timeoutNanos;
      while (!closed && size() > 0 && (bytes + size > maxBytes || size() >= maxEntries)) {
        if (left <= 0) {
          return -1;
        }
        left = notFull.awaitNanos(left);
      }
      if (closed) {
        return -1;
      }
      long seq = nextSeq++;
      entries.add(new Entry(seq, make.apply(seq), size, System.nanoTime()));
      bytes += size;
      notEmpty.signalAll();
      return seq;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The first frame after {@code afterSeq}, waiting up to {@code timeoutNanos} for one.
   *
   * @return the entry, or null on timeout or when closed
   */
  public Entry next(long afterSeq, long timeoutNanos) throws InterruptedException {
    lock.lock();
    try {
      long left = timeoutNanos;
      while (true) {
        if (closed) {
          return null;
        }
        Entry e = find(afterSeq + 1);
        if (e != null) {
          return e;
        }
        if (left <= 0) {
          return null;
        }
        left = notEmpty.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Whether a frame after {@code seq} is queued now. */
  public boolean hasAfter(long seq) {
    lock.lock();
    try {
      return find(seq + 1) != null;
    } finally {
      lock.unlock();
    }
  }

  private Entry find(long seq) {
    if (size() == 0) {
      return null;
    }
    long first = entries.get(head).seq();
    long index = seq - first;
    if (index < 0) {
      index = 0;
    }
    return index < size() ? entries.get(head + (int) index) : null;
  }

  /** The secondary holds every frame up to {@code seq}: they leave the queue. */
  public void ack(long seq) {
    lock.lock();
    try {
      while (size() > 0 && entries.get(head).seq() <= seq) {
        Entry e = entries.get(head);
        bytes -= e.bytes();
        ackedBytes += e.bytes();
        entries.set(head, null);
        head++;
      }
      ackedSeq = Math.max(ackedSeq, Math.min(seq, nextSeq - 1));
      if (head > 1024 && head * 2 > entries.size()) {
        entries.subList(0, head).clear();
        head = 0;
      }
      notFull.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Drops every frame and stops numbering; waiting writers and readers return at once. */
  public void close() {
    lock.lock();
    try {
      closed = true;
      entries.clear();
      head = 0;
      bytes = 0;
      notFull.signalAll();
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
  }

  public boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  private int size() {
    return entries.size() - head;
  }

  /** A consistent view for status and metrics. */
  public record Snapshot(
      int frames, long bytes, long lastSeq, long ackedSeq, long ackedBytes, long oldestAgeNanos) {}

  public Snapshot snapshot() {
    lock.lock();
    try {
      long age = size() == 0 ? 0 : System.nanoTime() - entries.get(head).enqueuedNanos();
      return new Snapshot(size(), bytes, nextSeq - 1, ackedSeq, ackedBytes, age);
    } finally {
      lock.unlock();
    }
  }

  /** The last sequence number handed out. */
  public long lastSeq() {
    lock.lock();
    try {
      return nextSeq - 1;
    } finally {
      lock.unlock();
    }
  }

  /** The highest sequence number acknowledged. */
  public long ackedSeq() {
    lock.lock();
    try {
      return ackedSeq;
    } finally {
      lock.unlock();
    }
  }

  /** Waits up to {@code timeout} until every queued frame is acknowledged. */
  public boolean awaitDrained(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    lock.lock();
    try {
      while (size() > 0 && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        notFull.awaitNanos(left);
      }
      return size() == 0;
    } finally {
      lock.unlock();
    }
  }
}
