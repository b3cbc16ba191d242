package dev.coloha.wire.concurrent;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The owner of one long-lived entity (a replication link, a proxy group, a volume): everything that
 * changes the entity runs as a task of its mailbox, one task at a time, so the entity's state needs
 * no locks of its own. Tasks run in the order they were submitted, on the mailbox's owner thread (a
 * virtual thread), except that {@link #callWhenIdle} runs a task on the calling thread when the
 * mailbox has nothing queued or running: a request on a hot path (a checkpoint) then pays no
 * hand-off to the owner and back, and still runs alone. Holding the <em>turn</em> is what matters,
 * not which thread holds it ({@link #onTurn}).
 *
 * <ul>
 *   <li>{@link #execute}: fire and forget; a failure goes to the mailbox's failure handler.
 *   <li>{@link #call}: submit and wait (optionally with a timeout); the task's exception is thrown
 *       to the caller as it was (a checked one wrapped in {@link CompletionException}).
 *   <li>{@link #schedule}/{@link #scheduleAt}: a deadline, run on the owner thread at the first
 *       turn after it is due (before tasks queued meanwhile); {@link Deadline#cancel} keeps it from
 *       running. Deadlines replace sleep-polling watchdogs.
 *   <li>{@link #stop}: the task running finishes, then a last task runs on the turn; tasks queued
 *       and not started fail with {@link MailboxStoppedException} (their callers get it), deadlines
 *       are dropped, and later submissions are refused.
 * </ul>
 *
 * <p>A task that calls {@link #call} or {@link #callWhenIdle} of its own mailbox runs the inner
 * task at once, inline: it already holds the turn, so waiting for the owner would deadlock. {@link
 * #execute} and deadlines from a task are queued as usual.
 *
 * <p>A deadline cannot interrupt the task that holds the turn: an exchange that may block (a write
 * to a peer that stopped reading) is bounded by an {@link Alarm}, which aborts it from a timer
 * thread; the task then sees its I/O fail and changes the entity's state itself.
 *
 * <p>Over 400 lines on purpose (most of them its contract): the queue, the deadlines, the turn
 * (taken by the owner or by a caller inline) and the stop share one lock and one condition, and
 * which of them wakes the owner when depends on all four; split, those rules would be spread over
 * classes.
 */
public final class Mailbox {
  /** A queued task; {@code result} is null for one executed (nobody waits for it). */
  private record Task<T>(Callable<T> body, CompletableFuture<T> result) {}

  /** What the owner takes when the mailbox stops. */
  private static final Object STOP = new Object();

  private final String name;
  private final Consumer<Throwable> failures;
  private final Thread owner;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final ArrayDeque<Task<?>> queue = new ArrayDeque<>();
  private final PriorityQueue<Deadline> deadlines =
      new PriorityQueue<>(
          (a, b) -> a.due != b.due ? Long.signum(a.due - b.due) : Long.compare(a.order, b.order));
  private long scheduled;

  /** The thread that holds the turn (the owner or a caller running inline), null: nobody. */
  private volatile Thread holder;

  /** The owner waits for a caller running inline to give the turn back. */
  private boolean ownerWaitsForTurn;

  private boolean stopping;
  private Runnable last;

  private Mailbox(String name, Consumer<Throwable> failures) {
    this.name = name;
    this.owner = Thread.ofVirtual().name(name).unstarted(this::loop);
    this.failures =
        failures != null
            ? failures
            : t -> owner.getUncaughtExceptionHandler().uncaughtException(owner, t);
  }

  /**
   * A mailbox whose owner thread is named {@code name}, running; a task that fails with nobody to
   * tell (executed, a deadline) goes to {@code failures}.
   */
  public static Mailbox start(String name, Consumer<Throwable> failures) {
    Mailbox m = new Mailbox(name, failures);
    m.owner.start();
    return m;
  }

  /** As {@link #start(String, Consumer)}, failures to the thread's uncaught-exception handler. */
  public static Mailbox start(String name) {
    return start(name, null);
  }

  public String name() {
    return name;
  }

  /** Whether the calling thread holds the turn (runs a task of this mailbox). */
  public boolean onTurn() {
    return holder == Thread.currentThread();
  }

  /**
   * Queues {@code task} for the owner thread; false if the mailbox is stopped (it will not run).
   */
  public boolean execute(Runnable task) {
    lock.lock();
    try {
      if (stopping) {
        return false;
      }
      queue.add(
          new Task<>(
              () -> {
                task.run();
                return null;
              },
              null));
      if (holder == null) {
        work.signal();
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Runs {@code task} on its turn and returns its result (see {@link #call(Callable, Duration)}).
   */
  public <T> T call(Callable<T> task) {
    return call(task, null);
  }

  /**
   * Runs {@code task} on its turn and returns its result; waits at most {@code timeout} (null: no
   * limit). From a task of this mailbox it runs at once, inline.
   *
   * @throws MailboxStoppedException the mailbox stopped before the task started
   * @throws MailboxTimeoutException no result within {@code timeout}
   */
  public <T> T call(Callable<T> task, Duration timeout) {
    if (onTurn()) {
      return runInline(task);
    }
    Task<T> t = new Task<>(task, new CompletableFuture<>());
    lock.lock();
    try {
      if (stopping) {
        throw new MailboxStoppedException(name);
      }
      queue.add(t);
      if (holder == null) {
        work.signal();
      }
    } finally {
      lock.unlock();
    }
    return await(t, timeout);
  }

  /**
   * Runs {@code task} on the calling thread if nothing is queued or running (it takes the turn for
   * the task), else queues it as {@link #call(Callable)} does and waits. Only for tasks that may
   * run on any thread.
   */
  public <T> T callWhenIdle(Callable<T> task) {
    Thread me = Thread.currentThread();
    if (holder == me) {
      return runInline(task);
    }
    Task<T> queued = null;
    lock.lock();
    try {
      if (stopping) {
        throw new MailboxStoppedException(name);
      }
      if (holder == null && queue.isEmpty()) {
        holder = me;
      } else {
        queued = new Task<>(task, new CompletableFuture<>());
        queue.add(queued);
        if (holder == null) {
          work.signal();
        }
      }
    } finally {
      lock.unlock();
    }
    if (queued != null) {
      return await(queued, null);
    }
    try {
      return runInline(task);
    } finally {
      giveBack();
    }
  }

  /** Runs {@code task} on the owner thread once {@code delay} has passed. */
  public Deadline schedule(Duration delay, Runnable task) {
    return scheduleAt(System.nanoTime() + delay.toNanos(), task);
  }

  /**
   * Runs {@code task} on the owner thread at the first turn after {@code dueNanos}
   * (System.nanoTime); on a stopped mailbox the deadline is dropped at once.
   */
  public Deadline scheduleAt(long dueNanos, Runnable task) {
    lock.lock();
    try {
      Deadline d = new Deadline(this, dueNanos, scheduled++, task);
      if (stopping) {
        d.done = true;
        return d;
      }
      deadlines.add(d);
      if (deadlines.peek() == d && Thread.currentThread() != owner) {
        work.signal(); // the owner waits for a later time, or for nothing
      }
      return d;
    } finally {
      lock.unlock();
    }
  }

  boolean cancel(Deadline d) {
    lock.lock();
    try {
      if (d.done) {
        return false;
      }
      d.done = true;
      deadlines.remove(d);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Stops the mailbox (see {@link #stop(Runnable)}) with no last task. */
  public void stop() {
    stop(null);
  }

  /**
   * Stops the mailbox without waiting: the task running finishes, then {@code last} (if not null)
   * runs on the turn as the final task; tasks queued and not started fail with {@link
   * MailboxStoppedException}, deadlines are dropped, later submissions refused. A second stop does
   * nothing.
   */
  public void stop(Runnable last) {
    List<Task<?>> dropped;
    lock.lock();
    try {
      if (stopping) {
        return;
      }
      stopping = true;
      this.last = last;
      dropped = new ArrayList<>(queue);
      queue.clear();
      for (Deadline d : deadlines) {
        d.done = true;
      }
      deadlines.clear();
      work.signal();
    } finally {
      lock.unlock();
    }
    for (Task<?> t : dropped) {
      if (t.result() != null) {
        t.result().completeExceptionally(new MailboxStoppedException(name));
      }
    }
  }

  /** Whether {@link #stop} was called. */
  public boolean stopping() {
    lock.lock();
    try {
      return stopping;
    } finally {
      lock.unlock();
    }
  }

  /** Waits until the owner thread ended (after a stop, its last task done). */
  public void awaitStopped() throws InterruptedException {
    owner.join();
  }

  /** Tasks queued and not started (tests). */
  int queued() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  // ---- the owner thread -------------------------------------------------------------------------

  private void loop() {
    while (true) {
      Object next = take();
      if (next == STOP) {
        try {
          if (last != null) {
            last.run();
          }
        } catch (Throwable t) {
          failures.accept(t);
        } finally {
          giveBack();
        }
        return;
      }
      try {
        if (next instanceof Deadline d) {
          d.task.run();
        } else {
          run((Task<?>) next);
        }
      } catch (Throwable t) {
        failures.accept(t);
      } finally {
        giveBack();
      }
    }
  }

  /** The next thing to run, once the turn is free; takes the turn for the owner. */
  private Object take() {
    lock.lock();
    try {
      while (true) {
        if (holder != null) {
          ownerWaitsForTurn = true;
          work.awaitUninterruptibly();
          continue;
        }
        ownerWaitsForTurn = false;
        if (stopping) {
          holder = owner;
          return STOP;
        }
        Deadline d = deadlines.peek();
        long wait = d == null ? -1 : d.due - System.nanoTime();
        if (d != null && wait <= 0) {
          deadlines.poll();
          d.done = true;
          holder = owner;
          return d;
        }
        Task<?> t = queue.poll();
        if (t != null) {
          holder = owner;
          return t;
        }
        if (d == null) {
          work.awaitUninterruptibly();
        } else {
          try {
            work.awaitNanos(wait);
          } catch (InterruptedException e) {
            // nobody interrupts the owner on purpose; look again
          }
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private <T> void run(Task<T> t) {
    T value;
    try {
      value = t.body().call();
    } catch (Throwable e) {
      if (t.result() == null) {
        failures.accept(e);
      } else {
        t.result().completeExceptionally(e);
      }
      return;
    }
    if (t.result() != null) {
      t.result().complete(value);
    }
  }

  /** Gives the turn back; wakes the owner if it has something to do that waited for the turn. */
  private void giveBack() {
    lock.lock();
    try {
      holder = null;
      if (Thread.currentThread() != owner && (ownerWaitsForTurn || !queue.isEmpty() || stopping)) {
        work.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  // ---- callers ----------------------------------------------------------------------------------

  private static <T> T runInline(Callable<T> task) {
    try {
      return task.call();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Exception e) {
      throw new CompletionException(e);
    }
  }

  private <T> T await(Task<T> t, Duration timeout) {
    try {
      return timeout == null
          ? t.result().get()
          : t.result().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      boolean withdrawn;
      lock.lock();
      try {
        withdrawn = queue.remove(t);
      } finally {
        lock.unlock();
      }
      throw new MailboxTimeoutException(name, timeout, withdrawn);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException("interrupted while waiting for mailbox " + name, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new CompletionException(cause);
    }
  }
}
