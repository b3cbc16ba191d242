package dev.coloha.wire.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MailboxTest {
  /** {@link Mailbox#call(Callable)} or {@link Mailbox#callWhenIdle}. */
  private interface Caller {
    Integer call(Callable<Integer> task);
  }

  private final List<Throwable> failures = new CopyOnWriteArrayList<>();
  private final Mailbox box = Mailbox.start("test-box", failures::add);

  @AfterEach
  void stop() throws InterruptedException {
    box.stop();
    box.awaitStopped();
  }

  /** Blocks the owner thread until {@link #open} is counted down; returns once it runs. */
  private CountDownLatch blockOwner(List<String> order) throws InterruptedException {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch open = new CountDownLatch(1);
    box.execute(
        () -> {
          running.countDown();
          try {
            open.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          order.add("blocker");
        });
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
    return open;
  }

  @Test
  void tasksRunOneAtATimeInTheOrderSubmittedOnTheOwnerThread() {
    List<Integer> seen = new ArrayList<>(); // touched by the owner only
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      int n = i;
      box.execute(
          () -> {
            seen.add(n);
            threads.add(Thread.currentThread());
          });
    }
    List<Integer> result = box.call(() -> List.copyOf(seen));
    assertThat(result).hasSize(200).isSorted();
    assertThat(box.call(() -> threads.stream().distinct().toList()))
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t).isNotSameAs(Thread.currentThread());
              assertThat(t.getName()).isEqualTo("test-box");
            });
  }

  @Test
  void callsFromManyThreadsEachRunAloneAndAnswerTheirOwnCaller() throws Exception {
    AtomicBoolean inside = new AtomicBoolean();
    List<CompletableFuture<Integer>> answers = new ArrayList<>();
    ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor();
    for (int i = 0; i < 50; i++) {
      int n = i;
      Caller caller = n % 2 == 0 ? box::call : box::callWhenIdle;
      answers.add(
          CompletableFuture.supplyAsync(
              () ->
                  caller.call(
                      () -> {
                        assertThat(inside.getAndSet(true)).as("another task runs").isFalse();
                        Thread.yield();
                        inside.set(false);
                        return n * 10;
                      })));
    }
    for (int i = 0; i < answers.size(); i++) {
      assertThat(answers.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(i * 10);
    }
    callers.close();
  }

  @Test
  void aCallRethrowsTheTasksExceptionAsItWasAndWrapsACheckedOne() {
    IllegalArgumentException thrown = new IllegalArgumentException("no");
    assertThatThrownBy(
            () ->
                box.call(
                    () -> {
                      throw thrown;
                    }))
        .isSameAs(thrown);
    IOException io = new IOException("disk");
    assertThatThrownBy(
            () ->
                box.call(
                    () -> {
                      throw io;
                    }))
        .isInstanceOf(CompletionException.class)
        .hasCause(io);
    // the mailbox goes on
    assertThat(box.call(() -> "after")).isEqualTo("after");
    assertThat(failures).isEmpty();
  }

  @Test
  void anExecutedTaskThatFailsGoesToTheFailureHandlerAndTheMailboxGoesOn() {
    IllegalStateException thrown = new IllegalStateException("boom");
    box.execute(
        () -> {
          throw thrown;
        });
    assertThat(box.call(() -> "after")).isEqualTo("after");
    assertThat(failures).containsExactly(thrown);
  }

  @Test
  void aCallFromATaskOfTheSameMailboxRunsInlineInsteadOfDeadlocking() {
    String result =
        box.call(
            () -> {
              Thread outer = Thread.currentThread();
              String inner = box.call(() -> Thread.currentThread() == outer ? "inline" : "queued");
              String idle =
                  box.callWhenIdle(() -> Thread.currentThread() == outer ? "inline" : "queued");
              return inner + "," + idle + "," + box.onTurn();
            });
    assertThat(result).isEqualTo("inline,inline,true");
    assertThat(box.onTurn()).isFalse();
  }

  @Test
  void callWhenIdleRunsOnTheCallersThreadWhenNothingIsQueuedOrRunning() {
    Thread me = Thread.currentThread();
    assertThat(box.callWhenIdle(() -> Thread.currentThread() == me && box.onTurn())).isTrue();
  }

  @Test
  void callWhenIdleWaitsItsTurnBehindARunningTaskAndThenRunsOnTheOwner() throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    CountDownLatch open = blockOwner(order);
    Thread me = Thread.currentThread();
    CompletableFuture<Boolean> onCaller =
        CompletableFuture.supplyAsync(
            () ->
                box.callWhenIdle(
                    () -> {
                      order.add("idle-call");
                      return Thread.currentThread() == me;
                    }));
    await().until(() -> box.queued() == 1);
    assertThat(order).isEmpty();
    open.countDown();
    assertThat(onCaller.get(10, TimeUnit.SECONDS)).isFalse();
    assertThat(order).containsExactly("blocker", "idle-call");
  }

  @Test
  void whileACallerRunsInlineTheOwnerRunsNothingAndCatchesUpAfterwards() {
    List<String> order = new CopyOnWriteArrayList<>();
    box.callWhenIdle(
        () -> {
          order.add("inline-start");
          box.execute(() -> order.add("queued"));
          // a due deadline too: the owner wakes for it and must wait for the turn
          box.scheduleAt(System.nanoTime(), () -> order.add("deadline"));
          Thread.yield();
          order.add("inline-end");
          return null;
        });
    box.call(() -> null);
    assertThat(order).containsExactly("inline-start", "inline-end", "deadline", "queued");
  }

  @Test
  void deadlinesRunOnTheOwnerInTheOrderTheyAreDueNotScheduled() throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    CountDownLatch open = blockOwner(order);
    AtomicReference<Thread> ranOn = new AtomicReference<>();
    long now = System.nanoTime();
    long later = now + TimeUnit.MILLISECONDS.toNanos(2);
    box.scheduleAt(later, () -> order.add("later"));
    box.scheduleAt(
        now + TimeUnit.MILLISECONDS.toNanos(1),
        () -> {
          order.add("sooner");
          ranOn.set(Thread.currentThread());
        });
    await().until(() -> System.nanoTime() - later > 0); // both due while the owner is busy
    open.countDown();
    box.call(() -> null);
    assertThat(order).containsExactly("blocker", "sooner", "later");
    assertThat(ranOn.get().getName()).isEqualTo("test-box");
  }

  @Test
  void aDeadlineRunsOnItsOwnOnceDue() throws Exception {
    CountDownLatch ran = new CountDownLatch(1);
    box.schedule(Duration.ofMillis(20), ran::countDown); // the owner waits with nothing queued
    assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aCancelledDeadlineNeverRuns() throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    CountDownLatch open = blockOwner(order); // neither can run before the cancel
    CountDownLatch done = new CountDownLatch(1);
    long now = System.nanoTime();
    Deadline cancelled =
        box.scheduleAt(now + TimeUnit.MILLISECONDS.toNanos(1), () -> order.add("cancelled"));
    Deadline kept =
        box.scheduleAt(
            now + TimeUnit.MILLISECONDS.toNanos(2),
            () -> {
              order.add("kept");
              done.countDown();
            });
    assertThat(cancelled.cancel()).isTrue();
    assertThat(cancelled.cancel()).isFalse();
    open.countDown();
    // the kept one is due after the cancelled one: once it ran, the cancelled one's time passed
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(order).containsExactly("blocker", "kept");
    assertThat(kept.cancel()).as("ran already").isFalse();
  }

  @Test
  void aDeadlineDueWhileATaskRunsGoesBeforeTheTasksQueuedMeanwhile() throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    CountDownLatch open = blockOwner(order);
    box.execute(() -> order.add("task"));
    box.scheduleAt(System.nanoTime(), () -> order.add("deadline"));
    open.countDown();
    box.call(() -> null);
    assertThat(order).containsExactly("blocker", "deadline", "task");
  }

  @Test
  void aDeadlineScheduledByATaskForLaterRunsAfterIt() throws Exception {
    CountDownLatch ran = new CountDownLatch(1);
    box.execute(() -> box.schedule(Duration.ofMillis(5), ran::countDown));
    assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void stopFailsTheWaitingCallersFinishesTheRunningTaskThenRunsTheLastOne() throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    CountDownLatch open = blockOwner(order);
    CompletableFuture<String> waiting =
        CompletableFuture.supplyAsync(
            () ->
                box.call(
                    () -> {
                      order.add("never");
                      return "never";
                    }));
    CompletableFuture<String> waitingIdle =
        CompletableFuture.supplyAsync(
            () ->
                box.callWhenIdle(
                    () -> {
                      order.add("never either");
                      return "never";
                    }));
    await().until(() -> box.queued() == 2);
    Deadline deadline = box.schedule(Duration.ZERO, () -> order.add("deadline"));
    box.stop(() -> order.add("last:" + box.onTurn()));

    assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(MailboxStoppedException.class);
    assertThatThrownBy(() -> waitingIdle.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(MailboxStoppedException.class);
    assertThat(deadline.cancel()).as("dropped at the stop").isFalse();
    // later submissions are refused
    assertThatThrownBy(() -> box.call(() -> "x")).isInstanceOf(MailboxStoppedException.class);
    assertThatThrownBy(() -> box.callWhenIdle(() -> "x"))
        .isInstanceOf(MailboxStoppedException.class);
    assertThat(box.execute(() -> order.add("refused"))).isFalse();
    assertThat(box.stopping()).isTrue();

    open.countDown();
    box.awaitStopped();
    assertThat(order).containsExactly("blocker", "last:true");
  }

  @Test
  void aTaskMayStopItsOwnMailbox() throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    box.execute(
        () -> {
          box.stop(() -> order.add("last"));
          order.add("task goes on");
        });
    box.awaitStopped();
    assertThat(order).containsExactly("task goes on", "last");
  }

  @Test
  void aCallThatTimesOutBeforeItsTaskStartedWithdrawsIt() throws Exception {
    List<String> order = new CopyOnWriteArrayList<>();
    CountDownLatch open = blockOwner(order);
    assertThatThrownBy(() -> box.call(() -> order.add("withdrawn"), Duration.ofMillis(1)))
        .isInstanceOfSatisfying(
            MailboxTimeoutException.class, e -> assertThat(e.withdrawn()).isTrue());
    open.countDown();
    box.call(() -> order.add("after"));
    assertThat(order).containsExactly("blocker", "after");
  }

  @Test
  void aCallThatTimesOutWhileItsTaskRunsLetsItFinish() throws Exception {
    CountDownLatch open = new CountDownLatch(1);
    CountDownLatch finished = new CountDownLatch(1);
    assertThatThrownBy(
            () ->
                box.call(
                    () -> {
                      open.await();
                      finished.countDown();
                      return null;
                    },
                    Duration.ofSeconds(1))) // the idle owner starts it long before
        .isInstanceOfSatisfying(
            MailboxTimeoutException.class, e -> assertThat(e.withdrawn()).isFalse());
    open.countDown();
    assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();
  }
}
