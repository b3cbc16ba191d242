package dev.coloha.wire.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The alarms share one timer thread that runs their entries in the order they are due: an alarm
 * that went off after another one's deadline proves that one's entry was looked at. A test that
 * must arm and disarm before the deadline whatever the machine's load holds the alarm's monitor
 * meanwhile (the timer thread needs it to go off).
 */
class AlarmTest {
  private final List<String> fired = new CopyOnWriteArrayList<>();

  private Alarm alarm(String name) {
    return new Alarm(() -> fired.add(name));
  }

  private Alarm alarm(String name, CountDownLatch done) {
    return new Alarm(
        () -> {
          fired.add(name);
          done.countDown();
        });
  }

  @Test
  void anArmedAlarmGoesOffOnTheTimerThread() throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    List<Thread> on = new CopyOnWriteArrayList<>();
    Alarm a =
        new Alarm(
            () -> {
              on.add(Thread.currentThread());
              done.countDown();
            });
    a.arm(Duration.ofMillis(5));
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(a.fired()).isTrue();
    assertThat(on).singleElement().satisfies(t -> assertThat(t.getName()).isEqualTo("colo-alarms"));
    a.arm(Duration.ofHours(1));
    assertThat(a.fired()).as("arming again clears it").isFalse();
    a.disarm();
  }

  @Test
  void aDisarmedAlarmDoesNotGoOff() throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    Alarm quiet = alarm("disarmed");
    Alarm later = alarm("later", done);
    long now = System.nanoTime();
    synchronized (quiet) {
      quiet.armAt(now + TimeUnit.MILLISECONDS.toNanos(10));
      later.armAt(now + TimeUnit.MILLISECONDS.toNanos(50));
      quiet.disarm();
    }
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(fired).containsExactly("later");
    assertThat(quiet.fired()).isFalse();
  }

  @Test
  void reArmedForLaterItGoesOffAtTheLaterTime() throws Exception {
    CountDownLatch both = new CountDownLatch(2);
    Alarm moved = alarm("moved", both);
    Alarm between = alarm("between", both);
    long now = System.nanoTime();
    synchronized (moved) {
      moved.armAt(now + TimeUnit.MILLISECONDS.toNanos(10));
      moved.armAt(now + TimeUnit.MILLISECONDS.toNanos(600)); // an exchange re-armed it
      between.armAt(now + TimeUnit.MILLISECONDS.toNanos(200));
    }
    assertThat(both.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(fired).containsExactly("between", "moved");
  }

  @Test
  void reArmedForSoonerThanItsEntryItGoesOffAtTheSoonerTime() throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    Alarm a = alarm("sooner", done);
    a.arm(Duration.ofHours(1)); // a long exchange (an initial sync)
    a.arm(Duration.ofMillis(5)); // then a short one (a checkpoint)
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(fired).containsExactly("sooner");
  }

  @Test
  void disarmedThenArmedAgainItGoesOffOnceForTheNewArming() throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    Alarm a = alarm("again", done);
    CountDownLatch afterDone = new CountDownLatch(1);
    Alarm witness =
        new Alarm(
            () -> {
              fired.add("witness");
              afterDone.countDown();
            });
    for (int i = 0; i < 1000; i++) {
      synchronized (a) {
        a.arm(Duration.ofMillis(20)); // exchanges back to back, each disarmed in time
        a.disarm();
      }
    }
    a.arm(Duration.ofMillis(20));
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    witness.arm(Duration.ofMillis(50));
    assertThat(afterDone.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(fired).containsExactly("again", "witness");
  }
}
