package dev.coloha.microvm;

import dev.coloha.api.agent.VmState;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one thread that runs a VM. It takes items from one inbox: input items are handed to the VM at
 * once, control operations run between two guest events (at an event boundary) with priority over
 * input, and when neither is waiting one guest event is dispatched. A stop request ends the loop
 * after the current operation.
 *
 * <p>The thread holds {@link #running} except while it waits for work. A caller that finds it
 * waiting with nothing queued may run a control operation itself under that lock ({@link
 * #callWhenIdle}): the operation still happens between two guest events, with no hand-off to the VM
 * thread and back (each a thread wake-up of 0.1-0.2 ms on a small virtual machine).
 */
final class VmThread {
  /**
   * What the thread drives. All calls happen on the VM thread, or on a caller that runs an
   * operation under {@link #running} ({@link #callWhenIdle}), except {@link #settled}.
   */
  interface Work {
    /** Hands an input item (input event, flow control) to the VM. */
    void input(Object item);

    /** Whether guest events may be dispatched now. */
    boolean dispatching();

    /** Delivers one guest event; false if there was nothing to do. */
    boolean dispatchOne();

    /** Nanoseconds until the next timer is due, 0 if one is due, -1 if none is armed. */
    long nanosUntilTimer();

    /** Whether some input is waiting for the guest (a guest event could be dispatched). */
    boolean hasInput();

    /** The loop ended. */
    void ended();

    /**
     * A control operation ran (here or on a caller's thread): finish what it deferred. Any thread:
     * a caller whose operation left the VM thread nothing to do settles on its own thread.
     */
    default void settled() {}
  }

  private record Control<T>(String operation, Callable<T> body, CompletableFuture<T> result) {}

  private final String vmId;
  private final Work work;
  private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
  private final ArrayDeque<Control<?>> controls = new ArrayDeque<>();
  private final Thread thread;
  private final ReentrantLock running = new ReentrantLock();

  /** Items posted whose effect is not applied yet (inputs not handed over, controls not run). */
  private final AtomicInteger pending = new AtomicInteger();

  private volatile boolean stopping;
  private volatile boolean settleOwed;

  /** Whether the owed settle must wake the VM thread (see {@link #mustWake}). */
  private volatile boolean wakeOwed;

  /**
   * Until when (System.nanoTime) the VM thread waits for work when nothing wakes it, {@link
   * Long#MAX_VALUE} for no timer; written before it releases {@link #running} to wait.
   */
  private volatile long waitingUntil = Long.MAX_VALUE;

  /**
   * Wakes the thread after a control run by a caller: it recomputes its wait (the control may have
   * moved timers) and finishes what the control deferred ({@link Work#settled}), off the caller's
   * path.
   */
  private static final Object NUDGE = new Object();

  /**
   * Events the thread dispatches back to back before it settles ({@link Work#settled}): a sink may
   * defer waking its reader for output queued by this thread until then (issue 18: with `-P 16` the
   * output stream's writer was woken once per event, a few SETs each). The thread also settles
   * whenever it runs out of events, before it waits.
   */
  static final int OUTPUT_WAKE_EVENTS = 8;

  VmThread(String vmId, long stackBytes, Work work) {
    this.vmId = vmId;
    this.work = work;
    this.thread =
        Thread.ofPlatform()
            .name("vm-" + vmId)
            .daemon(true)
            .stackSize(stackBytes)
            .unstarted(this::loop);
  }

  void start() {
    thread.start();
  }

  /** Whether the calling thread is this VM's thread. */
  boolean isCurrent() {
    return Thread.currentThread() == thread;
  }

  boolean alive() {
    return thread.isAlive();
  }

  void join(long millis) throws InterruptedException {
    thread.join(millis);
  }

  /** Queues an input item. Any thread. */
  void post(Object item) {
    pending.incrementAndGet();
    inbox.add(item);
  }

  /** Ends the loop once the current operation returns (call from a control operation). */
  void requestStop() {
    stopping = true;
  }

  /** Runs {@code body} on the VM thread at the next event boundary. Any thread. */
  <T> CompletableFuture<T> control(String operation, Callable<T> body) {
    CompletableFuture<T> f = new CompletableFuture<>();
    if (!thread.isAlive() && thread.getState() != Thread.State.NEW) {
      f.completeExceptionally(new VmStateException(vmId, VmState.STOPPED, operation));
      return f;
    }
    pending.incrementAndGet();
    inbox.add(new Control<>(operation, body, f));
    return f;
  }

  /**
   * Runs {@code body} between two guest events and returns its result: on the calling thread if the
   * VM thread is waiting for work with nothing queued, else queued as {@link #control}. Only for
   * operations that do not call into the guest (the VM thread's large stack is not there).
   */
  <T> T callWhenIdle(String operation, Callable<T> body) {
    return callWhenIdle(operation, body, true);
  }

  /**
   * As {@link #callWhenIdle(String, Callable)}; with {@code settleNow} false a caller that ran the
   * operation itself does not wake the VM thread at once but owes a {@link #settle()} (a checkpoint
   * stream settles once the checkpoint is on the wire: the wake-up then costs nothing on its path).
   */
  <T> T callWhenIdle(String operation, Callable<T> body, boolean settleNow) {
    if (thread.isAlive() && !stopping && pending.get() == 0 && running.tryLock()) {
      try {
        if (pending.get() == 0 && !stopping) {
          boolean ok = false;
          try {
            T result = body.call();
            ok = true;
            return result;
          } catch (RuntimeException e) {
            throw e;
          } catch (Exception e) {
            throw new IllegalStateException(e);
          } finally {
            if (settleNow || !ok) {
              post(NUDGE);
            } else {
              wakeOwed |= mustWake();
              settleOwed = true;
            }
          }
        }
      } finally {
        running.unlock();
      }
    }
    return await(control(operation, body));
  }

  /**
   * Finishes an operation run by a caller that left this to later (settleNow false): wakes the VM
   * thread if the operation gave it something to do, else settles on the calling thread.
   */
  void settle() {
    if (settleOwed) {
      settleOwed = false;
      boolean wake = wakeOwed;
      wakeOwed = false;
      if (wake) {
        post(NUDGE);
      } else {
        work.settled();
      }
    }
  }

  /**
   * Whether the VM thread, waiting for work, must be woken after an operation a caller ran under
   * {@link #running}: when the guest has input to take, or a timer is now due before the time the
   * thread waits until. Otherwise it would wake to find nothing to do (a thread switch that, on a
   * host whose primary and secondary share a CPU, lies on the checkpoint's path). A thread that
   * woke meanwhile (input, its own timer) recomputes its wait anyway. Caller holds {@link
   * #running}.
   */
  private boolean mustWake() {
    if (!work.dispatching()) {
      return false; // it waits for input or controls, which wake it themselves
    }
    if (work.hasInput()) {
      return true;
    }
    long wait = work.nanosUntilTimer();
    return wait >= 0 && wait < waitingUntil - System.nanoTime();
  }

  /** Waits for a control operation; its failure is rethrown as it was. */
  static <T> T await(CompletableFuture<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the VM", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private void loop() {
    int burst = 0; // events dispatched since the output's reader was last woken
    running.lock();
    try {
      while (!stopping) {
        drainInbox();
        Control<?> c = controls.poll();
        if (c != null) {
          run(c);
          continue;
        }
        if (work.dispatching() && work.dispatchOne()) {
          if (++burst >= OUTPUT_WAKE_EVENTS) {
            burst = 0;
            work.settled();
          }
          continue;
        }
        if (burst > 0) {
          // the burst of events is over: wake the output's reader once for all of them
          burst = 0;
          work.settled();
        }
        long wait = work.dispatching() ? work.nanosUntilTimer() : -1;
        waitingUntil = wait < 0 ? Long.MAX_VALUE : System.nanoTime() + wait;
        Object next;
        running.unlock();
        try {
          next = wait < 0 ? inbox.take() : inbox.poll(wait, TimeUnit.NANOSECONDS);
        } finally {
          running.lock();
        }
        if (next != null) {
          accept(next);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        if (burst > 0) {
          work.settled(); // the last events' output, deferred: its reader must not wait for it
        }
        work.ended();
        failPending();
      } finally {
        running.unlock();
      }
    }
  }

  private void drainInbox() {
    Object o;
    while ((o = inbox.poll()) != null) {
      accept(o);
    }
  }

  private void accept(Object o) {
    if (o instanceof Control<?> c) {
      controls.add(c);
    } else if (o == NUDGE) {
      pending.decrementAndGet();
      work.settled();
    } else {
      work.input(o);
      pending.decrementAndGet();
    }
  }

  private <T> void run(Control<T> c) {
    try {
      c.result().complete(c.body().call());
    } catch (Throwable t) {
      c.result().completeExceptionally(t);
    } finally {
      pending.decrementAndGet();
    }
    work.settled();
  }

  private void failPending() {
    Control<?> c;
    while ((c = controls.poll()) != null) {
      c.result().completeExceptionally(new VmStateException(vmId, VmState.STOPPED, c.operation()));
    }
    Object o;
    while ((o = inbox.poll()) != null) {
      if (o instanceof Control<?> ctl) {
        ctl.result()
            .completeExceptionally(new VmStateException(vmId, VmState.STOPPED, ctl.operation()));
      }
    }
  }
}
