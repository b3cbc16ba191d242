package dev.coloha.proxy.ingress;

import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Whether a client's input may be read: closed for as long as any reason holds it closed. A closed
 * gate is TCP backpressure: the proxy stops reading the socket, the client's send buffer fills.
 */
public final class Gate {
  /** Why reading stops. */
  public enum Reason {
    /** Too much output held (waiting for comparison or a commit). */
    HELD,
    /** Too much input retained since the last commit. */
    RETAINED,
    /** Too much released output queued for a client that does not read. */
    CLIENT_SLOW,
    /** Too much input queued for an agent that does not read. */
    INPUT_QUEUE
  }

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition opened = lock.newCondition();
  private final EnumSet<Reason> reasons = EnumSet.noneOf(Reason.class);
  private volatile Runnable onOpen = () -> {};

  /**
   * Runs {@code r} whenever the gate opens (the last reason dropped), on the thread that opened it,
   * holding no lock: the group's client loop is woken to read again.
   */
  public void onOpen(Runnable r) {
    onOpen = r;
  }

  /** Closes the gate for {@code reason}; true if that reason was not holding it already. */
  public boolean close(Reason reason) {
    lock.lock();
    try {
      return reasons.add(reason);
    } finally {
      lock.unlock();
    }
  }

  /** Drops {@code reason}; true if it was holding the gate. */
  public boolean open(Reason reason) {
    boolean was;
    boolean nowOpen;
    lock.lock();
    try {
      was = reasons.remove(reason);
      nowOpen = reasons.isEmpty();
      if (nowOpen) {
        opened.signalAll();
      }
    } finally {
      lock.unlock();
    }
    if (was && nowOpen) {
      onOpen.run();
    }
    return was;
  }

  public boolean isOpen() {
    lock.lock();
    try {
      return reasons.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  public Set<Reason> reasons() {
    lock.lock();
    try {
      return EnumSet.copyOf(reasons.isEmpty() ? EnumSet.noneOf(Reason.class) : reasons);
    } finally {
      lock.unlock();
    }
  }

  /** Waits until open or {@code maxNanos} passed; true if open. */
  public boolean await(long maxNanos) throws InterruptedException {
    lock.lock();
    try {
      long left = maxNanos;
      while (!reasons.isEmpty()) {
        if (left <= 0) {
          return false;
        }
        left = opened.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Waits until open (used by tests and shutdown paths). */
  public void await() throws InterruptedException {
    while (!await(TimeUnit.SECONDS.toNanos(1))) {
      // keep waiting
    }
  }
}
