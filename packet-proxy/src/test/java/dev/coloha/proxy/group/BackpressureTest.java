package dev.coloha.proxy.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.api.proxy.GroupLimits;
import dev.coloha.proxy.event.EventLog;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The output readers' wait for room: a reader blocked on too much buffered output is released by
 * the change that makes room (a release, a commit) or by the group's deletion, woken once by that
 * signal and never by a clock.
 */
class BackpressureTest {
  static final long MAX = 1_000;

  final Backpressure backpressure =
      new Backpressure(
          "g",
          () -> new GroupLimits(1 << 20, 1 << 24, 1 << 20, 1 << 24, 100),
          MAX,
          new EventLog("g", 16, 16, 16),
          () -> {});
  Thread reader;

  @AfterEach
  void tearDown() throws InterruptedException {
    if (reader != null) {
      reader.interrupt();
      reader.join();
    }
  }

  /** Starts a reader that waits for room, and returns once it waits. */
  CountDownLatch blockedReader() {
    CountDownLatch through = new CountDownLatch(1);
    reader =
        Thread.ofPlatform()
            .start(
                () -> {
                  backpressure.awaitOutputRoom();
                  through.countDown();
                });
    Thread.State s = reader.getState();
    while (s != Thread.State.WAITING && s != Thread.State.TIMED_WAITING) {
      assertThat(through.getCount()).as("the reader went on over the limit").isEqualTo(1);
      Thread.onSpinWait();
      s = reader.getState();
    }
    assertThat(s).as("waits for a signal, not a clock").isEqualTo(Thread.State.WAITING);
    return through;
  }

  @Test
  void aReaderUnderTheLimitDoesNotWait() {
    backpressure.outputBuffered(MAX);
    backpressure.awaitOutputRoom();
    assertThat(backpressure.readerWakeups()).isZero();
  }

  @Test
  void aBlockedReaderIsReleasedByTheChangeThatMakesRoomWithOneWakeUp() throws Exception {
    backpressure.outputBuffered(MAX + 1);
    CountDownLatch through = blockedReader();

    backpressure.outputBuffered(MAX + 500); // more buffered: no signal
    backpressure.outputBuffered(MAX + 1); // less, still over: no signal
    assertThat(reader.getState()).isEqualTo(Thread.State.WAITING);
    assertThat(backpressure.readerWakeups()).isZero();
    assertThat(through.getCount()).isEqualTo(1);

    backpressure.outputBuffered(MAX); // at the limit: room
    assertThat(through.await(30, TimeUnit.SECONDS)).isTrue();
    reader.join();
    assertThat(backpressure.readerWakeups()).isEqualTo(1);
  }

  @Test
  void theGroupsDeletionReleasesABlockedReaderAndLaterOnes() throws Exception {
    backpressure.outputBuffered(MAX * 10);
    CountDownLatch through = blockedReader();

    backpressure.close();
    assertThat(through.await(30, TimeUnit.SECONDS)).isTrue();
    reader.join();
    assertThat(backpressure.readerWakeups()).isEqualTo(1);

    backpressure.awaitOutputRoom(); // deleted: does not wait although over the limit
    assertThat(backpressure.readerWakeups()).isEqualTo(1);
  }
}
