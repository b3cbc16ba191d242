package dev.coloha.microvm;

import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that runs a VM. It takes items from one inbox: input items are handed to the VM at
 * once, control operations run between two guest events (at an event boundary) with priority over
 * input, and when neither is waiting one guest event is dispatched. A stop request ends the loop
 * after the current operation.
 */
final class VmThread {
  /** What the thread drives. All calls happen on the VM thread. */
  interface Work {
    /** Hands an input item (input event, flow control) to the VM. */
    void input(Object item);

    /** Whether guest events may be dispatched now. */
    boolean dispatching();

    /** Delivers one guest event; false if there was nothing to do. */
    boolean dispatchOne();

    /** Nanoseconds until the next timer is due, 0 if one is due, -1 if none is armed. */
    long nanosUntilTimer();

    /** The loop ended. */
    void ended();
  }

  private record Control<T>(String operation, Callable<T> body, CompletableFuture<T> result) {}

  private final String vmId;
  private final Work work;
  private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
  private final ArrayDeque<Control<?>> controls = new ArrayDeque<>();
  private final Thread thread;
  private volatile boolean stopping;

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

  boolean alive() {
    return thread.isAlive();
  }

  void join(long millis) throws InterruptedException {
    thread.join(millis);
  }

  /** Queues an input item. Any thread. */
  void post(Object item) {
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
    inbox.add(new Control<>(operation, body, f));
    return f;
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
    try {
      while (!stopping) {
        drainInbox();
        Control<?> c = controls.poll();
        if (c != null) {
          run(c);
          continue;
        }
        if (work.dispatching() && work.dispatchOne()) {
          continue;
        }
        long wait = work.dispatching() ? work.nanosUntilTimer() : -1;
        Object next = wait < 0 ? inbox.take() : inbox.poll(wait, TimeUnit.NANOSECONDS);
        if (next != null) {
          accept(next);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      work.ended();
      failPending();
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
    } else {
      work.input(o);
    }
  }

  private static <T> void run(Control<T> c) {
    try {
      c.result().complete(c.body().call());
    } catch (Throwable t) {
      c.result().completeExceptionally(t);
    }
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
