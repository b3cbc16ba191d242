package dev.coloha.proxy.group;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A group's connection slots ({@code limits.maxConnections}), resizable while the group lives:
 * raising the limit admits more clients at once; lowering it keeps every open connection and
 * refuses new ones until fewer than the new limit are open.
 */
final class ConnectionSlots {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private int limit;
  private int open;
  private boolean closed;

  ConnectionSlots(int limit) {
    this.limit = limit;
  }

  /** Waits until a slot is free (or the slots are closed: then false). */
  boolean awaitFree() throws InterruptedException {
    lock.lock();
    try {
      while (!closed && open >= limit) {
        changed.await();
      }
      return !closed;
    } finally {
      lock.unlock();
    }
  }

  /** Takes a slot if one is free now; false if the limit is reached (or the slots are closed). */
  boolean tryTake() {
    lock.lock();
    try {
      if (closed || open >= limit) {
        return false;
      }
      open++;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** A connection is over: its slot is free. */
  void release() {
    lock.lock();
    try {
      if (open > 0) {
        open--;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The new limit applies to connections from now on; open ones stay. */
  void resize(int newLimit) {
    if (newLimit < 1) {
      throw new IllegalArgumentException("maxConnections must be at least 1: " + newLimit);
    }
    lock.lock();
    try {
      limit = newLimit;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  int limit() {
    lock.lock();
    try {
      return limit;
    } finally {
      lock.unlock();
    }
  }

  int open() {
    lock.lock();
    try {
      return open;
    } finally {
      lock.unlock();
    }
  }

  /** No slot is ever free again; waiters return. */
  void close() {
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
