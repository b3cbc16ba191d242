package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The VM thread's loop, and control operations run by an idle VM's caller. */
class VmThreadTest {
  private final AtomicInteger inputs = new AtomicInteger();
  private final AtomicInteger dispatched = new AtomicInteger();
  private final AtomicLong timerDue = new AtomicLong(-1);
  private volatile CountDownLatch busy;
  // events the loop finds back to back (a burst), and how many it had dispatched at each settle
  private final AtomicInteger burstLeft = new AtomicInteger();
  private final AtomicInteger burstDone = new AtomicInteger();
  private final java.util.List<Integer> settledAfter =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean inputWaiting;
  private final java.util.List<Thread> settledOn =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final VmThread thread =
      new VmThread(
          "t",
          1 << 20,
          new VmThread.Work() {
            @Override
            public void input(Object item) {
              inputs.incrementAndGet();
            }

            @Override
            public boolean dispatching() {
              return true;
            }

            @Override
            public boolean dispatchOne() {
              CountDownLatch b = busy;
              if (b != null) {
                busy = null;
                try {
                  b.await(10, TimeUnit.SECONDS); // a guest event that takes a while
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                return true;
              }
              if (burstLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                burstDone.incrementAndGet();
                return true;
              }
              long due = timerDue.get();
              if (due >= 0 && System.nanoTime() >= due) {
                timerDue.set(-1);
                dispatched.incrementAndGet();
                return true;
              }
              return false;
            }

            @Override
            public long nanosUntilTimer() {
              long due = timerDue.get();
              return due < 0 ? -1 : Math.max(0, due - System.nanoTime());
            }

            @Override
            public boolean hasInput() {
              return inputWaiting;
            }

            @Override
            public void settled() {
              settledOn.add(Thread.currentThread());
              settledAfter.add(burstDone.get());
            }

            @Override
            public void ended() {}
          });

  @AfterEach
  void stop() throws Exception {
    thread.control(
        "stop",
        () -> {
          thread.requestStop();
          return null;
        });
    thread.join(5000);
  }

  private Thread vmThread() {
    return VmThread.await(thread.control("who", Thread::currentThread));
  }

  @Test
  void aBurstOfEventsSettlesAfterEveryEighthAndWhenTheEventsRunOut() {
    Thread vm = waitingVm(-1);
    settledAfter.clear();
    burstLeft.set(2 * VmThread.OUTPUT_WAKE_EVENTS + 4);
    thread.post("wake"); // the loop dispatches the 20 events back to back
    await().atMost(Duration.ofSeconds(5)).until(() -> settledAfter.size() == 3);
    // a sink's deferred output wakes its reader once per 8 events, and once for the last 4
    assertThat(settledAfter)
        .containsExactly(
            VmThread.OUTPUT_WAKE_EVENTS,
            2 * VmThread.OUTPUT_WAKE_EVENTS,
            2 * VmThread.OUTPUT_WAKE_EVENTS + 4);
    assertThat(settledOn).containsOnly(vm);
    await().atMost(Duration.ofSeconds(5)).until(() -> vm.getState() == Thread.State.WAITING);
    assertThat(settledAfter).hasSize(3); // waiting with nothing dispatched since: no settle
  }

  @Test
  void anIdleVmRunsTheOperationOnTheCallersThread() {
    thread.start();
    Thread vm = vmThread();
    await().atMost(Duration.ofSeconds(5)).until(() -> vm.getState() == Thread.State.WAITING);
    Thread ranOn = thread.callWhenIdle("capture", Thread::currentThread);
    assertThat(ranOn).isSameAs(Thread.currentThread());
  }

  @Test
  void aBusyVmRunsTheOperationOnItsOwnThreadAfterTheCurrentEvent() throws Exception {
    thread.start();
    Thread vm = vmThread();
    CountDownLatch release = new CountDownLatch(1);
    busy = release;
    thread.post("wake"); // the loop dispatches the long event next
    await().atMost(Duration.ofSeconds(5)).until(() -> busy == null);
    CompletableFuture<Thread> ranOn =
        CompletableFuture.supplyAsync(
            () -> thread.callWhenIdle("apply", Thread::currentThread), Thread.ofVirtual()::start);
    // the operation waits for the event to end, however long that takes
    await()
        .during(Duration.ofMillis(100))
        .atMost(Duration.ofSeconds(2))
        .until(() -> !ranOn.isDone());
    release.countDown();
    assertThat(ranOn.get(5, TimeUnit.SECONDS)).isSameAs(vm);
  }

  @Test
  void aTimerArmedByAnOperationOnTheCallersThreadStillFires() {
    thread.start();
    Thread vm = vmThread();
    await().atMost(Duration.ofSeconds(5)).until(() -> vm.getState() == Thread.State.WAITING);
    // the VM thread waits with no timer armed; the operation arms one: it must be woken
    thread.callWhenIdle(
        "apply",
        () -> {
          timerDue.set(System.nanoTime() + 20_000_000L);
          return null;
        });
    await().atMost(Duration.ofSeconds(5)).until(() -> dispatched.get() == 1);
  }

  /** Starts the VM thread and waits until it waits, with a timer {@code timerInNanos} away. */
  private Thread waitingVm(long timerInNanos) {
    thread.start();
    Thread vm = vmThread();
    if (timerInNanos >= 0) {
      VmThread.await(
          thread.control(
              "arm",
              () -> {
                timerDue.set(System.nanoTime() + timerInNanos);
                return null;
              }));
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                vm.getState() == Thread.State.WAITING
                    || vm.getState() == Thread.State.TIMED_WAITING);
    settledOn.clear();
    return vm;
  }

  /** An apply on this thread that re-arms the timer {@code nanos} from now, then its settle. */
  private void applyMovingTheTimerTo(long nanos) {
    thread.callWhenIdle(
        "apply",
        () -> {
          timerDue.set(System.nanoTime() + nanos);
          return null;
        },
        false);
    thread.settle();
  }

  @Test
  void aSettleThatLeavesTheVmNothingToDoRunsOnTheCallerAndDoesNotWakeIt() {
    Thread vm = waitingVm(-1);
    thread.callWhenIdle("apply", () -> null, false);
    thread.settle();
    assertThat(settledOn).containsExactly(Thread.currentThread());
    assertThat(vm.getState()).isEqualTo(Thread.State.WAITING);
  }

  @Test
  void aSettleWakesTheVmWhenTheOperationLeftItInput() {
    Thread vm = waitingVm(-1);
    thread.callWhenIdle(
        "apply",
        () -> {
          inputWaiting = true; // an apply that rewound a connection's input
          return null;
        },
        false);
    thread.settle();
    await().atMost(Duration.ofSeconds(5)).until(() -> settledOn.contains(vm));
    assertThat(settledOn).doesNotContain(Thread.currentThread());
  }

  @Test
  void aSettleWakesTheVmWhenTheOperationMovedItsTimerEarlier() {
    Thread vm = waitingVm(60_000_000_000L);
    applyMovingTheTimerTo(20_000_000L);
    await().atMost(Duration.ofSeconds(5)).until(() -> dispatched.get() == 1);
    assertThat(settledOn).contains(vm);
  }

  @Test
  void aSettleLeavesTheVmWaitingWhenTheOperationMovedItsTimerLater() {
    Thread vm = waitingVm(30_000_000_000L);
    applyMovingTheTimerTo(60_000_000_000L);
    // it wakes at the earlier time it waits for, finds nothing due and waits again
    assertThat(settledOn).containsExactly(Thread.currentThread());
    assertThat(vm.getState()).isEqualTo(Thread.State.TIMED_WAITING);
  }

  @Test
  void queuedInputKeepsItsPlaceBeforeALaterOperation() throws Exception {
    thread.start();
    vmThread();
    CountDownLatch release = new CountDownLatch(1);
    busy = release;
    thread.post("wake");
    await().atMost(Duration.ofSeconds(5)).until(() -> busy == null);
    thread.post("data"); // queued while the VM is busy: handed over before the operation runs
    CompletableFuture<Integer> seen =
        CompletableFuture.supplyAsync(
            () -> thread.callWhenIdle("capture", inputs::get), Thread.ofVirtual()::start);
    release.countDown();
    assertThat(seen.get(5, TimeUnit.SECONDS)).isEqualTo(2);
  }

  @Test
  void anOperationsFailureReachesTheCaller() {
    thread.start();
    vmThread();
    assertThatThrownBy(
            () ->
                thread.callWhenIdle(
                    "apply",
                    () -> {
                      throw new IllegalStateException("refused");
                    }))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("refused");
    assertThat(thread.callWhenIdle("after", () -> 42)).isEqualTo(42);
  }
}
