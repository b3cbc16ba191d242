package dev.coloha.wire.concurrent;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The deadline of an exchange that blocks its thread (a write to a peer that stopped reading, a
 * read of an answer that does not come): if the exchange is still armed at its deadline, the
 * alarm's action runs on a timer thread shared by all alarms, since the exchange's own thread (a
 * {@link Mailbox}'s turn) is the one blocked. The action only aborts (closes a stream) and must be
 * quick and safe from any thread; the blocked thread sees its I/O fail and changes the entity's
 * state itself ({@link #fired} tells it why).
 *
 * <p>Cheap to arm and disarm on a hot path: both only write fields. The timer holds at most one
 * entry per alarm; an entry that comes due while the alarm is re-armed for later is moved to the
 * new deadline, one that comes due disarmed is dropped (the next arm makes a new one). An exchange
 * per millisecond thus costs the timer thread about one wake-up per timeout, not one per exchange,
 * and nothing polls.
 */
public final class Alarm {
  /** The one timer thread of all alarms. */
  private static final class Timer {
    static final ScheduledThreadPoolExecutor EXECUTOR = executor();

    private static ScheduledThreadPoolExecutor executor() {
      ScheduledThreadPoolExecutor e =
          new ScheduledThreadPoolExecutor(
              1, r -> Thread.ofPlatform().name("colo-alarms").daemon(true).unstarted(r));
      e.setRemoveOnCancelPolicy(true);
      return e;
    }
  }

  private final Runnable action;
  private boolean armed;
  private boolean fired;
  private long due;

  /** The timer's entry for this alarm (null: none) and when it comes due. */
  private ScheduledFuture<?> entry;

  private long entryAt;

  /** Tells a stale entry (one moved to an earlier time) from the current one. */
  private long entries;

  /** An alarm that runs {@code action} on the timer thread when it goes off. */
  public Alarm(Runnable action) {
    this.action = action;
  }

  /** Arms the alarm to go off {@code timeout} from now (replacing any earlier arming). */
  public void arm(Duration timeout) {
    armAt(System.nanoTime() + timeout.toNanos());
  }

  /** Arms the alarm to go off at {@code dueNanos} (System.nanoTime), replacing any arming. */
  public synchronized void armAt(long dueNanos) {
    due = dueNanos;
    armed = true;
    fired = false;
    if (entry == null || entryAt - dueNanos > 0) {
      if (entry != null) {
        entry.cancel(false);
      }
      enter(System.nanoTime());
    }
  }

  /** Disarms the alarm: once this returns, the action does not run for the arming it ends. */
  public synchronized void disarm() {
    armed = false;
  }

  /** Whether the alarm went off since it was last armed. */
  public synchronized boolean fired() {
    return fired;
  }

  private void enter(long now) {
    long id = ++entries;
    entryAt = due;
    entry = Timer.EXECUTOR.schedule(() -> check(id), due - now, TimeUnit.NANOSECONDS);
  }

  private synchronized void check(long id) {
    if (id != entries) {
      return; // moved to an earlier time
    }
    entry = null;
    if (!armed) {
      return;
    }
    long now = System.nanoTime();
    if (due - now > 0) {
      enter(now); // re-armed for later meanwhile
      return;
    }
    armed = false;
    fired = true;
    try {
      action.run();
    } catch (RuntimeException e) {
      Thread t = Thread.currentThread();
      t.getUncaughtExceptionHandler().uncaughtException(t, e);
    }
  }
}
