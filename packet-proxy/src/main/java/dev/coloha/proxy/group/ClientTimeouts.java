package dev.coloha.proxy.group;

import dev.coloha.proxy.ingress.ClientActivity;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.IntToLongFunction;
import java.util.function.LongSupplier;

/**
 * When the proxy ends a client connection itself: slow clients ({@code
 * colo.proxy.client.max-unanswered}, {@code first-reply-timeout}), idle ones ({@code idle-timeout})
 * and those that closed their side and whose output went quiet ({@code linger}).
 *
 * <p>Each connection has one deadline (on the group's turn, {@link Deadlines}): the earliest time
 * one of its timeouts could end it. Activity does not move the deadline (a client read or write
 * costs nothing here); when the deadline comes, the connection's timestamps are checked and the
 * next deadline set from them. Only a connection whose time is up but whose end waits for something
 * else (output still queued or held, a gate the proxy closed) is checked again after {@code
 * recheck}. Its client closing its side sets the deadline again (the linger is shorter).
 */
final class ClientTimeouts {
  /** Runs a task on the group's turn at a time of its clock; returns what cancels it. */
  @FunctionalInterface
  interface Deadlines {
    Runnable at(long dueNanos, Runnable task);
  }

  private final ProxySettings.Client cfg;
  private final Map<Integer, ? extends ClientActivity> clients;
  private final IntToLongFunction bufferedOutput;
  private final BooleanSupplier groupGateOpen;
  private final Runnable slowClient;
  private final Deadlines deadlines;
  private final LongSupplier clock;
  private final LongSupplier recheck;
  private final Map<Integer, Runnable> armed = new ConcurrentHashMap<>();

  /**
   * @param clients the group's open connections
   * @param bufferedOutput a connection's output the comparator buffers
   * @param groupGateOpen whether the group's gate is open
   * @param slowClient counts a connection ended as slow or idle
   * @param deadlines the group's deadlines (its mailbox)
   * @param clock the deadlines' clock (System.nanoTime)
   * @param recheck nanoseconds after which a connection whose end waits is checked again
   */
  ClientTimeouts(
      ProxySettings.Client cfg,
      Map<Integer, ? extends ClientActivity> clients,
      IntToLongFunction bufferedOutput,
      BooleanSupplier groupGateOpen,
      Runnable slowClient,
      Deadlines deadlines,
      LongSupplier clock,
      LongSupplier recheck) {
    this.cfg = cfg;
    this.clients = clients;
    this.bufferedOutput = bufferedOutput;
    this.groupGateOpen = groupGateOpen;
    this.slowClient = slowClient;
    this.deadlines = deadlines;
    this.clock = clock;
    this.recheck = recheck;
  }

  /**
   * At most colo.proxy.client.max-unanswered connections of the group wait for their first reply:
   * above it the oldest of them is closed (slow clients that never finish a request cannot hold the
   * group's connection slots).
   */
  void evictUnanswered(ClientActivity fresh) {
    int max = cfg.maxUnanswered();
    List<ClientActivity> waiting = new ArrayList<>();
    for (ClientActivity c : clients.values()) {
      if (!c.over() && !c.answered()) {
        waiting.add(c);
      }
    }
    if (waiting.size() <= max) {
      return;
    }
    waiting.sort(Comparator.comparingLong(ClientActivity::acceptedAt));
    for (int i = 0; i < waiting.size() - max; i++) {
      ClientActivity old = waiting.get(i);
      if (old != fresh) {
        slowClient.run();
        old.finish("more than " + max + " connections wait for a first reply");
      }
    }
  }

  /** A new connection: its deadline is set. */
  void watch(ClientActivity c) {
    arm(c, clock.getAsLong());
  }

  /** The client closed its side: the linger may end it before its current deadline. */
  void inputClosed(ClientActivity c) {
    arm(c, clock.getAsLong());
  }

  /** The connection is over: its deadline is dropped. */
  void forget(ClientActivity c) {
    Runnable cancel = armed.remove(c.id());
    if (cancel != null) {
      cancel.run();
    }
  }

  /** How many connections have a deadline set. */
  int watched() {
    return armed.size();
  }

  /**
   * Sets the connection's one deadline (replacing the one it had) from its state at {@code now}.
   */
  private void arm(ClientActivity c, long now) {
    armed.compute(
        c.id(),
        (id, old) -> {
          if (old != null) {
            old.run();
          }
          return c.over() ? null : deadlines.at(due(c, now), () -> check(c));
        });
    if (c.over()) {
      forget(c); // ended while the deadline was set
    }
  }

  /** The connection's deadline came: end it if a timeout is up, else set the next one. */
  private void check(ClientActivity c) {
    long now = clock.getAsLong();
    if (c.over()) {
      armed.remove(c.id());
      return;
    }
    if (lingerOver(c, now)) {
      c.finish("closed by the client");
    } else if (!c.answered() && now - c.acceptedAt() > cfg.firstReplyTimeout().toNanos()) {
      slowClient.run();
      c.finish("no reply within colo.proxy.client.first-reply-timeout");
    } else if (idleOver(c, now)) {
      slowClient.run();
      c.finish("idle for colo.proxy.client.idle-timeout");
    }
    if (c.over()) {
      armed.remove(c.id());
    } else {
      arm(c, now);
    }
  }

  /** A client that closed its side, once its output has been quiet for colo.proxy.client.linger. */
  private boolean lingerOver(ClientActivity c, long now) {
    return c.inputClosed()
        && now - lingerFrom(c) > cfg.linger().toNanos()
        && c.unsent() == 0
        && bufferedOutput.applyAsLong(c.id()) == 0;
  }

  private static long lingerFrom(ClientActivity c) {
    return Math.max(c.inputClosedAt(), c.lastOutputAt());
  }

  /**
   * Idle for colo.proxy.client.idle-timeout: nothing read, written or queued, and not paused by the
   * proxy itself.
   */
  private boolean idleOver(ClientActivity c, long now) {
    return now - c.lastActivityAt() > cfg.idleTimeout().toNanos()
        && c.unsent() == 0
        && c.gate().isOpen()
        && groupGateOpen.getAsBoolean()
        && bufferedOutput.applyAsLong(c.id()) == 0;
  }

  /**
   * The earliest time after {@code now} one of the connection's timeouts could be up (a timeout up
   * already but waiting for something else: {@code now} plus the recheck).
   */
  private long due(ClientActivity c, long now) {
    long retry = now + recheck.getAsLong();
    long due = upAt(c.lastActivityAt(), cfg.idleTimeout().toNanos(), now, retry);
    if (!c.answered()) {
      due = Math.min(due, upAt(c.acceptedAt(), cfg.firstReplyTimeout().toNanos(), now, retry));
    }
    if (c.inputClosed()) {
      due = Math.min(due, upAt(lingerFrom(c), cfg.linger().toNanos(), now, retry));
    }
    return due;
  }

  /** When {@code timeout} from {@code since} is passed (strictly), or {@code retry} if it is. */
  private static long upAt(long since, long timeout, long now, long retry) {
    long up = since + timeout + 1;
    return up > now ? up : retry;
  }
}
