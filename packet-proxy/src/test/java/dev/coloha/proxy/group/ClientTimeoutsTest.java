package dev.coloha.proxy.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.proxy.ingress.ClientActivity;
import dev.coloha.proxy.ingress.Gate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The clients' timeouts as one deadline per connection, on a clock the test moves: a connection is
 * ended when (and only when) a timeout is up, activity moves its end without a deadline per
 * activity, and nothing scans the group's connections.
 */
class ClientTimeoutsTest {
  static final long S = 1_000_000_000L;
  static final long RECHECK = 50_000_000L;

  /** A connection whose facts the test sets. */
  static final class FakeClient implements ClientActivity {
    final int id;
    final Gate gate = new Gate();
    long acceptedAt;
    long lastInputAt;
    long lastOutputAt;
    boolean answered;
    boolean inputClosed;
    long inputClosedAt;
    long unsent;
    String finished;

    FakeClient(int id, long at) {
      this.id = id;
      this.acceptedAt = at;
      this.lastInputAt = at;
      this.lastOutputAt = at;
    }

    @Override
    public int id() {
      return id;
    }

    @Override
    public boolean over() {
      return finished != null;
    }

    @Override
    public boolean answered() {
      return answered;
    }

    @Override
    public long acceptedAt() {
      return acceptedAt;
    }

    @Override
    public long lastActivityAt() {
      return Math.max(lastInputAt, lastOutputAt);
    }

    @Override
    public boolean inputClosed() {
      return inputClosed;
    }

    @Override
    public long inputClosedAt() {
      return inputClosedAt;
    }

    @Override
    public long lastOutputAt() {
      return lastOutputAt;
    }

    @Override
    public long unsent() {
      return unsent;
    }

    @Override
    public Gate gate() {
      return gate;
    }

    @Override
    public void finish(String why) {
      if (finished == null) {
        finished = why;
      }
    }
  }

  /** The group's deadlines on the test's clock: a due task runs when the clock passes its time. */
  final class Turn implements ClientTimeouts.Deadlines {
    record Due(long at, long seq, Runnable task, boolean[] cancelled) {}

    final List<Due> pending = new ArrayList<>();
    long seq;
    int ran;

    @Override
    public Runnable at(long dueNanos, Runnable task) {
      boolean[] cancelled = {false};
      Due d = new Due(dueNanos, seq++, task, cancelled);
      pending.add(d);
      return () -> {
        cancelled[0] = true;
        pending.remove(d);
      };
    }

    /** Moves the clock to {@code t}, running each deadline due by then at its own time. */
    void advanceTo(long t) {
      while (true) {
        Due next = null;
        for (Due d : pending) {
          if (d.at() <= t
              && (next == null
                  || d.at() < next.at()
                  || (d.at() == next.at() && d.seq() < next.seq()))) {
            next = d;
          }
        }
        if (next == null) {
          break;
        }
        pending.remove(next);
        now = Math.max(now, next.at());
        ran++;
        next.task().run();
      }
      now = t;
    }
  }

  long now;
  final Turn turn = new Turn();
  final Map<Integer, FakeClient> clients = new HashMap<>();
  final Map<Integer, Long> buffered = new HashMap<>();
  final Gate groupGate = new Gate();
  final AtomicInteger slow = new AtomicInteger();
  final ClientTimeouts timeouts =
      new ClientTimeouts(
          new ProxySettings.Client(
              4096, Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(2), 2),
          clients,
          id -> buffered.getOrDefault(id, 0L),
          groupGate::isOpen,
          slow::incrementAndGet,
          turn,
          () -> now,
          () -> RECHECK);

  FakeClient accept(int id) {
    return accept(id, false);
  }

  /** A connection answered before its deadline is first set (its first read was a reply). */
  FakeClient answered(int id) {
    return accept(id, true);
  }

  FakeClient accept(int id, boolean answered) {
    FakeClient c = new FakeClient(id, now);
    c.answered = answered;
    clients.put(id, c);
    timeouts.watch(c);
    return c;
  }

  @Test
  void anIdleConnectionEndsJustAfterTheIdleTimeoutWithOneDeadline() {
    FakeClient c = answered(1);
    assertThat(turn.pending).hasSize(1);
    turn.advanceTo(10 * S);
    assertThat(c.finished).isNull();
    turn.advanceTo(10 * S + 1);
    assertThat(c.finished).isEqualTo("idle for colo.proxy.client.idle-timeout");
    assertThat(slow.get()).isEqualTo(1);
    assertThat(turn.ran).as("one check, at the deadline").isEqualTo(1);
    assertThat(turn.pending).isEmpty();
    assertThat(timeouts.watched()).isZero();
  }

  @Test
  void activityMovesTheEndWithoutADeadlinePerActivity() {
    FakeClient c = answered(1);
    for (int i = 1; i <= 9; i++) {
      now = i * S;
      c.lastInputAt = now; // a read a second: the deadline is not touched
    }
    assertThat(turn.pending).hasSize(1);
    turn.advanceTo(10 * S + 1);
    assertThat(c.finished).isNull();
    assertThat(turn.ran).isEqualTo(1);
    assertThat(turn.pending).singleElement().extracting(Turn.Due::at).isEqualTo(19 * S + 1);
    turn.advanceTo(19 * S + 1);
    assertThat(c.finished).isEqualTo("idle for colo.proxy.client.idle-timeout");
    assertThat(turn.ran).isEqualTo(2);
  }

  @Test
  void aConnectionWithoutAFirstReplyEndsAfterTheFirstReplyTimeout() {
    FakeClient waiting = accept(1);
    FakeClient served = accept(2);
    turn.advanceTo(S);
    served.answered = true;
    turn.advanceTo(2 * S);
    assertThat(waiting.finished).isNull();
    turn.advanceTo(2 * S + 1);
    assertThat(waiting.finished).isEqualTo("no reply within colo.proxy.client.first-reply-timeout");
    assertThat(served.finished).isNull();
    assertThat(slow.get()).isEqualTo(1);
    assertThat(turn.pending).singleElement().extracting(Turn.Due::at).isEqualTo(10 * S + 1);
  }

  @Test
  void aClientThatClosedItsSideEndsAfterTheLingerOnceItsOutputIsOut() {
    FakeClient c = answered(1);
    now = 3 * S;
    c.inputClosed = true;
    c.inputClosedAt = now;
    c.unsent = 10;
    timeouts.inputClosed(c);
    assertThat(turn.pending).singleElement().extracting(Turn.Due::at).isEqualTo(4 * S + 1);
    turn.advanceTo(4 * S + 1);
    assertThat(c.finished).as("output still queued").isNull();
    assertThat(turn.pending)
        .singleElement()
        .extracting(Turn.Due::at)
        .isEqualTo(4 * S + 1 + RECHECK);
    c.unsent = 0;
    buffered.put(1, 5L);
    turn.advanceTo(4 * S + 1 + RECHECK);
    assertThat(c.finished).as("output still held by the comparator").isNull();
    buffered.put(1, 0L);
    turn.advanceTo(4 * S + 1 + 2 * RECHECK);
    assertThat(c.finished).isEqualTo("closed by the client");
    assertThat(slow.get()).isZero();
    assertThat(turn.ran).isEqualTo(3);
  }

  @Test
  void anIdleConnectionPausedByTheProxyIsNotEnded() {
    FakeClient c = answered(1);
    groupGate.close(Gate.Reason.HELD);
    c.gate.close(Gate.Reason.RETAINED);
    turn.advanceTo(10 * S + 1);
    assertThat(c.finished).isNull();
    groupGate.open(Gate.Reason.HELD);
    turn.advanceTo(10 * S + 1 + RECHECK);
    assertThat(c.finished).as("its own gate is still closed").isNull();
    c.gate.open(Gate.Reason.RETAINED);
    turn.advanceTo(10 * S + 1 + 2 * RECHECK);
    assertThat(c.finished).isEqualTo("idle for colo.proxy.client.idle-timeout");
  }

  @Test
  void aConnectionGoneDropsItsDeadlineAndTheOthersKeepTheirs() {
    FakeClient a = answered(1);
    now = S;
    FakeClient b = answered(2);
    assertThat(turn.pending).hasSize(2);
    a.finish("closed by the client");
    timeouts.forget(a);
    assertThat(turn.pending).singleElement().extracting(Turn.Due::at).isEqualTo(11 * S + 1);
    assertThat(timeouts.watched()).isEqualTo(1);
    turn.advanceTo(11 * S + 1);
    assertThat(b.finished).isEqualTo("idle for colo.proxy.client.idle-timeout");
    assertThat(turn.ran).isEqualTo(1);
  }

  @Test
  void aConnectionEndedElsewhereIsDroppedAtItsDeadline() {
    FakeClient c = answered(1);
    c.finish("reset");
    turn.advanceTo(10 * S + 1);
    assertThat(turn.pending).isEmpty();
    assertThat(timeouts.watched()).isZero();
    assertThat(slow.get()).isZero();
  }
}
