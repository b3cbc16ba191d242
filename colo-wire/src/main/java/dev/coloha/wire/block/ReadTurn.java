package dev.coloha.wire.block;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Who reads an I/O stream's replies, one thread at a time (issue 18). On the HTTP stream the
 * client's reply thread reads all the time. On the Unix-domain socket the turn changes hands
 * (leader and followers): a thread waiting for a reply while no other thread reads takes the turn
 * and reads itself, dispatching every reply that comes before its own; the reply thread reads only
 * while replies are awaited and nobody reads; nobody reads while nothing is awaited. A reading
 * caller waiting for a request's reply first polls the socket ({@link
 * BlockClient.Options#replyPoll}).
 *
 * <p>What it reads, and when the stream is broken, is the {@link Stream}'s ({@link BlockClient}).
 */
final class ReadTurn {
  /** The stream the turn reads. */
  interface Stream {
    /**
     * Reads and dispatches one frame, calling {@link #replyRead} for it.
     *
     * @return false if the stream ended or failed (it is broken)
     */
    boolean readOne();

    /** Whether the stream has failed or been closed. */
    boolean isBroken();

    /** Whether bytes already read from the socket wait to be taken (no system call). */
    boolean buffered();

    /**
     * Looks at the socket without blocking (never while another thread writes it).
     *
     * @return -1 if the peer ended the stream, 1 if bytes are ready to read, 0 if none
     */
    int look() throws java.io.IOException;
  }

  private final Stream stream;
  private final boolean callersRead;
  private final long replyPollNanos;
  // replies awaited: one per request, queued write and heartbeat sent, less one per reply read
  private final AtomicLong awaiting;
  private final Object turn = new Object();
  private volatile boolean reading; // a thread holds the turn to read (changed under turn)
  private volatile int waiting; // threads waiting on turn for a reply or the turn (under turn)
  private volatile boolean leaderTimed; // a caller with a deadline reads the stream
  private volatile long leaderDeadline; // its deadline (System.nanoTime)
  private volatile long answerWanted = Long.MAX_VALUE; // least answeredUpTo a waiter waits for
  private final AtomicLong readByCallers = new AtomicLong(); // replies read by waiting callers
  private final AtomicLong repliesPolled = new AtomicLong(); // reply bytes found by polling
  private volatile boolean replyThreadParked; // the reply thread waits on turn (for tests)

  /**
   * @param callersRead whether callers take the turn (the Unix-domain socket), else only the reply
   *     thread reads (the HTTP stream)
   * @param replyPollNanos how long a reading caller polls for its reply before a blocking read
   * @param awaiting the stream's count of replies awaited
   */
  ReadTurn(Stream stream, boolean callersRead, long replyPollNanos, AtomicLong awaiting) {
    this.stream = stream;
    this.callersRead = callersRead;
    this.replyPollNanos = callersRead ? replyPollNanos : 0;
    this.awaiting = awaiting;
  }

  /**
   * Waits until {@code done}, the stream breaks or {@code nanos} pass. While no other thread reads
   * the stream (and callers read it), the caller reads it itself (it holds the turn), dispatching
   * every reply that comes before its own; otherwise it waits to be woken by the reader (a reply)
   * or for the turn.
   *
   * @param answer the request whose answer {@code done} waits for, else {@link Long#MAX_VALUE} (a
   *     future: its completion wakes the waiter, and a reading caller polls for it first)
   * @return whether {@code done} holds
   */
  boolean await(BooleanSupplier done, long answer, long nanos) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = nanos >= Long.MAX_VALUE / 2 ? Long.MAX_VALUE : start + nanos;
    while (true) {
      if (done.getAsBoolean()) {
        return true;
      }
      if (stream.isBroken()) {
        return done.getAsBoolean();
      }
      synchronized (turn) {
        if (!callersRead || reading) {
          long left = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : deadline - System.nanoTime();
          if (left <= 0) {
            return done.getAsBoolean();
          }
          waiting++;
          if (answer < answerWanted) {
            answerWanted = answer;
          }
          try {
            if (!done.getAsBoolean() && !stream.isBroken() && (!callersRead || reading)) {
              if (left == Long.MAX_VALUE) {
                turn.wait();
              } else {
                TimeUnit.NANOSECONDS.timedWait(turn, left);
              }
            }
          } finally {
            if (--waiting == 0) {
              answerWanted = Long.MAX_VALUE;
            }
          }
          continue;
        }
        reading = true;
      }
      return readUntil(done, answer == Long.MAX_VALUE, deadline);
    }
  }

  /** Reads, holding the turn, until {@code done}, a break or {@code deadline}; gives it up. */
  private boolean readUntil(BooleanSupplier done, boolean poll, long deadline) {
    // this thread reads until its reply has come; the reply thread stays parked
    leaderDeadline = deadline;
    leaderTimed = deadline != Long.MAX_VALUE;
    // a request's reply is polled for a while before this thread sleeps in the read
    long pollUntil = System.nanoTime() + replyPollNanos;
    try {
      while (!done.getAsBoolean() && !stream.isBroken()) {
        if (deadline != Long.MAX_VALUE && System.nanoTime() - deadline >= 0) {
          return done.getAsBoolean();
        }
        if (poll && replyPollNanos > 0) {
          pollForReply(pollUntil, deadline);
        }
        if (stream.readOne()) {
          readByCallers.incrementAndGet();
        }
      }
      return done.getAsBoolean();
    } finally {
      leaderTimed = false;
      passTurn();
    }
  }

  /**
   * Looks at the socket without blocking until bytes are ready, it ended, or {@code until} (or the
   * caller's {@code deadline}) passes, yielding the CPU between looks: the reading caller's reply
   * then needs no wake-up of a sleeping thread.
   */
  private void pollForReply(long until, long deadline) {
    if (stream.buffered()) {
      return;
    }
    try {
      while (true) {
        long now = System.nanoTime();
        if (now - until >= 0 || (deadline != Long.MAX_VALUE && now - deadline >= 0)) {
          return;
        }
        int ready = stream.look();
        if (ready != 0) {
          if (ready > 0) {
            repliesPolled.incrementAndGet();
          }
          return; // bytes to read, or the end, which the read that follows reports
        }
        Thread.yield();
      }
    } catch (java.io.IOException e) {
      // the blocking read that follows meets the same failure and reports it
    }
  }

  /** Takes the turn if nobody holds it (a probe of an idle stream); {@link #passTurn} after. */
  boolean tryTake() {
    synchronized (turn) {
      if (reading) {
        return false;
      }
      reading = true;
      return true;
    }
  }

  /** Gives the turn up: to a waiting caller, or the reply thread if replies are still awaited. */
  void passTurn() {
    synchronized (turn) {
      reading = false;
      if (waiting > 0 || awaiting.get() > 0) {
        turn.notifyAll();
      }
    }
  }

  /** Wakes the reply thread when replies are awaited and no thread reads them. */
  void wakeReader() {
    if (callersRead && !reading && awaiting.get() > 0) {
      synchronized (turn) {
        turn.notifyAll();
      }
    }
  }

  /**
   * A frame was read: wakes the waiting threads if one of them waits for it ({@code forAWaiter}: a
   * request's reply, a refusal) or for an answer up to {@code answeredUpTo}.
   */
  void replyRead(boolean forAWaiter, long answeredUpTo) {
    if (waiting > 0 && (forAWaiter || answeredUpTo >= answerWanted)) {
      synchronized (turn) {
        turn.notifyAll();
      }
    }
  }

  /** The stream broke: every waiting thread wakes to see it. */
  void broken() {
    synchronized (turn) {
      turn.notifyAll();
    }
  }

  /** Whether a caller reads the stream past its deadline (it cannot stop waiting by itself). */
  boolean readerOverdue(long now) {
    return leaderTimed && now - leaderDeadline > 0;
  }

  /**
   * The reply thread's loop. On the HTTP stream it reads all the time; on the Unix-domain socket
   * only while replies are awaited and no caller reads (it is woken by a push, a heartbeat, a
   * caller that gives the turn up, and looks every {@code everyMillis}).
   */
  void runReplyThread(long everyMillis) throws InterruptedException {
    while (!stream.isBroken()) {
      synchronized (turn) {
        while (!stream.isBroken()
            && (reading || (callersRead && (awaiting.get() == 0 || waiting > 0)))) {
          replyThreadParked = true;
          try {
            turn.wait(everyMillis);
          } finally {
            replyThreadParked = false;
          }
        }
        if (stream.isBroken()) {
          return;
        }
        reading = true;
      }
      try {
        while (stream.readOne() && (!callersRead || awaiting.get() > 0)) {
          // the next reply
        }
      } finally {
        passTurn();
      }
    }
  }

  /** Replies read by a waiting caller itself rather than the reply thread (for tests). */
  long repliesReadByCallers() {
    return readByCallers.get();
  }

  /** Whether the reply thread waits to be woken rather than reads or is about to (for tests). */
  boolean replyThreadParked() {
    return replyThreadParked;
  }

  /** Times a waiting caller's polling found its reply's bytes ready, before a blocking read. */
  long repliesPolled() {
    return repliesPolled.get();
  }
}
