package dev.coloha.proxy.group;

import dev.coloha.api.proxy.GroupLimits;
import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import dev.coloha.proxy.event.EventLog;
import dev.coloha.proxy.ingress.ClientConnection;
import dev.coloha.proxy.ingress.Gate;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group's one backpressure mechanism: gates. Client input stops at a closed gate (the
 * connection's own, or the group's) for as long as any reason holds it: too much output held for a
 * comparison or a commit ({@code HELD}), too much input retained since the last commit ({@code
 * RETAINED}), too much input queued for an agent ({@code INPUT_QUEUE}). Each limit closes above it
 * and opens again at half of it. Going over a held or retained limit is a {@code pressure} event
 * and asks for a checkpoint. The replicas' output readers wait while the group buffers more than
 * {@code colo.proxy.limits.max-buffered-output}: the comparator tells its buffered bytes after each
 * change ({@link #outputBuffered}), and a change to at most the limit (or the group's deletion)
 * signals the waiting readers; no reader polls.
 */
final class Backpressure {
  private static final Logger log = LoggerFactory.getLogger(Backpressure.class);

  private final String group;
  private final Gate gate = new Gate();
  private final Supplier<GroupLimits> limits;
  private final long maxBufferedOutput;
  private final EventLog events;
  private final Runnable checkpointWanted;
  private final ReentrantLock roomLock = new ReentrantLock();
  private final Condition room = roomLock.newCondition();
  private final AtomicLong bufferedOutput = new AtomicLong();
  private final AtomicInteger waitingReaders = new AtomicInteger();
  private long wakeups;
  private volatile boolean closed;

  /**
   * @param limits the group's current limits
   * @param maxBufferedOutput output bytes the group may buffer before its output readers wait
   * @param checkpointWanted told when a limit is crossed (a checkpoint would release or trim)
   */
  Backpressure(
      String group,
      Supplier<GroupLimits> limits,
      long maxBufferedOutput,
      EventLog events,
      Runnable checkpointWanted) {
    this.group = group;
    this.limits = limits;
    this.maxBufferedOutput = maxBufferedOutput;
    this.events = events;
    this.checkpointWanted = checkpointWanted;
  }

  /** The group's gate: every client of the group reads only while it is open. */
  Gate gate() {
    return gate;
  }

  // ---- held output (the comparator's pressure) ------------------------------------------------

  /** A connection's held output went over its limit, or back under it. */
  void held(ClientConnection c, boolean over, long bytes) {
    if (over) {
      c.gate().close(Gate.Reason.HELD);
      event(ProxyEvent.Pressure.Reason.HELD, c.id(), bytes, limits.get().heldPerConnection());
    } else {
      c.gate().open(Gate.Reason.HELD);
    }
  }

  /** The group's held output went over its limit, or back under it. */
  void held(boolean over, long bytes) {
    if (over) {
      gate.close(Gate.Reason.HELD);
      event(ProxyEvent.Pressure.Reason.HELD, null, bytes, limits.get().heldPerGroup());
    } else {
      gate.open(Gate.Reason.HELD);
    }
  }

  // ---- retained input -------------------------------------------------------------------------

  /** Closes the gates whose retained input is over the limits (two replicas compared). */
  void retained(ClientConnection c, long groupRetained) {
    GroupLimits l = limits.get();
    if (c.retention().bytes() > l.retainedInputPerConnection()
        && c.gate().close(Gate.Reason.RETAINED)) {
      event(
          ProxyEvent.Pressure.Reason.RETAINED,
          c.id(),
          c.retention().bytes(),
          l.retainedInputPerConnection());
    }
    if (groupRetained > l.retainedInputPerGroup() && gate.close(Gate.Reason.RETAINED)) {
      event(ProxyEvent.Pressure.Reason.RETAINED, null, groupRetained, l.retainedInputPerGroup());
    }
  }

  /** Opens the gates whose retained input went down to half the limits. */
  void retainedTrimmed(Iterable<ClientConnection> clients, long groupRetained) {
    GroupLimits l = limits.get();
    for (ClientConnection c : clients) {
      if (c.retention().bytes() <= l.retainedInputPerConnection() / 2) {
        c.gate().open(Gate.Reason.RETAINED);
      }
    }
    if (groupRetained <= l.retainedInputPerGroup() / 2) {
      gate.open(Gate.Reason.RETAINED);
    }
  }

  // ---- queued input ---------------------------------------------------------------------------

  /** The input queued for the replicas changed: {@code most} bytes wait for the slower one. */
  void inputQueued(long most) {
    long limit = limits.get().retainedInputPerGroup();
    if (most > limit) {
      gate.close(Gate.Reason.INPUT_QUEUE);
    } else if (most <= limit / 2) {
      gate.open(Gate.Reason.INPUT_QUEUE);
    }
  }

  // ---- buffered output ------------------------------------------------------------------------

  /**
   * Blocks an output stream reader while the group buffers more than allowed, until {@link
   * #outputBuffered} tells of room or the group is deleted (or the reader is interrupted).
   */
  void awaitOutputRoom() {
    if (closed || bufferedOutput.get() <= maxBufferedOutput) {
      return;
    }
    roomLock.lock();
    // counted before the check: a change after it sees this reader and signals (no lost wake-up)
    waitingReaders.incrementAndGet();
    try {
      while (!closed && bufferedOutput.get() > maxBufferedOutput) {
        room.await();
        wakeups++;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      waitingReaders.decrementAndGet();
      roomLock.unlock();
    }
  }

  /**
   * The comparator's buffered bytes after a change (called under its lock, so in order): at most
   * the limit, the waiting readers go on. Never blocks for long: the room lock is only held by
   * readers about to wait.
   */
  void outputBuffered(long bytes) {
    bufferedOutput.set(bytes);
    if (bytes <= maxBufferedOutput && waitingReaders.get() > 0) {
      signalRoom();
    }
  }

  private void signalRoom() {
    roomLock.lock();
    try {
      room.signalAll();
    } finally {
      roomLock.unlock();
    }
  }

  /** How often a waiting reader woke up (for tests: a wake-up per signal, none by a clock). */
  long readerWakeups() {
    roomLock.lock();
    try {
      return wakeups;
    } finally {
      roomLock.unlock();
    }
  }

  /** The group is deleted: no reader waits any more. */
  void close() {
    closed = true;
    signalRoom();
  }

  private void event(ProxyEvent.Pressure.Reason reason, Integer conn, long bytes, long limit) {
    log.info("group {}: {} pressure ({} bytes > {}) on {}", group, reason, bytes, limit, conn);
    events.append(
        id ->
            new ProxyEvent.Pressure(
                id,
                ProxyEventType.PRESSURE,
                group,
                Instant.now(),
                reason,
                conn,
                bytes,
                limit,
                true));
    checkpointWanted.run();
  }
}
