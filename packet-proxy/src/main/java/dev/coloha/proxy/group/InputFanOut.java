package dev.coloha.proxy.group;

import dev.coloha.api.proxy.GroupLimits;
import dev.coloha.proxy.ingress.ClientConnection;
import dev.coloha.wire.io.IoFrame;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Client input to the replicas: every client's {@code OPEN}, {@code DATA} and {@code CLOSE} go to
 * the primary and, in the same order, to the secondary it was fed to; the input since the last
 * commit is retained (to replay it to a secondary that joins), trimmed by commits. With two
 * replicas, retention over its limits is backpressure; with one, retention is a sliding window.
 *
 * <p>Locking: a connection's {@code inputLock} guards its input offset, its retention and which
 * secondary link it is fed to ({@code fedSecondary}).
 */
final class InputFanOut {
  private final Map<Integer, ClientConnection> clients;
  private final Supplier<Roles> roles;
  private final Supplier<GroupLimits> limits;
  private final Backpressure backpressure;
  private final AtomicLong retained = new AtomicLong();

  InputFanOut(
      Map<Integer, ClientConnection> clients,
      Supplier<Roles> roles,
      Supplier<GroupLimits> limits,
      Backpressure backpressure) {
    this.clients = clients;
    this.roles = roles;
    this.limits = limits;
    this.backpressure = backpressure;
  }

  /** Input bytes retained by the whole group. */
  long retained() {
    return retained.get();
  }

  /**
   * A new client: {@code register} runs (the connection becomes known to the group), then {@code
   * OPEN} goes to the replicas, all under the connection's input lock (no input overtakes it).
   */
  void open(ClientConnection c, Runnable register) {
    c.inputLock.lock();
    try {
      register.run();
      Roles r = roles.get();
      r.primary().send(new IoFrame.Open(c.id()));
      if (r.secondary() != null) {
        r.secondary().send(new IoFrame.Open(c.id()));
        c.fedSecondary = r.secondary().serial;
      }
    } finally {
      c.inputLock.unlock();
    }
  }

  /**
   * Client bytes, on the group's client loop: queued for the replicas under the connection's input
   * lock (its order); the loop's round ends with {@link #flush()}, which writes them.
   */
  void input(ClientConnection c, byte[] bytes) {
    c.inputLock.lock();
    try {
      if (c.closeSent) {
        return;
      }
      IoFrame.Data d = new IoFrame.Data(c.id(), c.inputOffset(), bytes);
      c.advanceInput(bytes.length);
      c.retention().add(d);
      retained.addAndGet(bytes.length);
      Roles r = roles.get();
      r.primary().offer(d);
      if (r.secondaryIs(c.fedSecondary)) {
        r.secondary().offer(d);
      }
      if (r.secondary() == null) {
        slideWindow(c);
      } else {
        backpressure.retained(c, retained.get());
      }
    } finally {
      c.inputLock.unlock();
    }
  }

  /**
   * The end of a client loop's round: what its reads queued is written to the replicas' streams,
   * every client's frames in one write per stream, on the loop's thread unless another thread is
   * writing the stream already ({@link ReplicaLink#drain()}, out of every lock: a commit or a
   * replay never waits for a socket). A frame offered to a link that has since left the roles is
   * dropped with it.
   */
  void flush() {
    Roles r = roles.get();
    r.primary().drain();
    if (r.secondary() != null) {
      r.secondary().drain();
    }
  }

  /** One replica: nothing waits for a commit, retention keeps what the limits allow. */
  private void slideWindow(ClientConnection c) {
    GroupLimits l = limits.get();
    if (c.retention().bytes() > l.retainedInputPerConnection()) {
      retained.addAndGet(-c.retention().keepAtMost(l.retainedInputPerConnection()));
    }
    if (retained.get() > l.retainedInputPerGroup()) {
      retained.addAndGet(-c.retention().clear());
    }
  }

  /** The client closed its side: {@code CLOSE} at its input's end goes to the replicas. */
  void inputClosed(ClientConnection c) {
    c.inputLock.lock();
    try {
      sendClose(c);
    } finally {
      c.inputLock.unlock();
    }
  }

  /**
   * The connection is over: the replicas are told (unless the client closed its side) and its
   * retention is dropped; the caller then {@link #reopen()}s the gates.
   */
  void gone(ClientConnection c) {
    c.inputLock.lock();
    try {
      sendClose(c);
      retained.addAndGet(-c.retention().clear());
    } finally {
      c.inputLock.unlock();
    }
  }

  private void sendClose(ClientConnection c) {
    if (c.closeSent) {
      return;
    }
    c.closeSent = true;
    IoFrame.Close close = new IoFrame.Close(c.id(), c.inputOffset());
    Roles r = roles.get();
    r.primary().send(close);
    if (r.secondaryIs(c.fedSecondary)) {
      r.secondary().send(close);
    }
  }

  /**
   * A restarted proxy ends the connections the replicas still have (each at its input offset), in
   * connection order, before any client is accepted.
   */
  void endLost(Map<Integer, Long> lost) {
    Roles now = roles.get();
    lost.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e -> {
              IoFrame.Close close = new IoFrame.Close(e.getKey(), e.getValue());
              now.primary().send(close);
              if (now.secondary() != null) {
                now.secondary().send(close);
              }
            });
  }

  /** Commit {@code k} was applied: retention is trimmed to the input it consumed. */
  void committed(Commit k) {
    for (ClientConnection c : clients.values()) {
      c.inputLock.lock();
      try {
        Long at = k.inputOffsets().get(c.id());
        if (at != null) {
          retained.addAndGet(-c.retention().trim(at));
        } else if (k.closedConnections().contains(c.id())) {
          retained.addAndGet(-c.retention().clear());
        }
      } finally {
        c.inputLock.unlock();
      }
    }
    reopen();
  }

  /** Opens the gates that retention no longer holds. */
  void reopen() {
    backpressure.retainedTrimmed(clients.values(), retained.get());
  }

  /**
   * A secondary synced by checkpoint {@code sync} joins on link {@code s}: each open connection
   * gets {@code OPEN}, its retained input from the checkpoint's consumed offset on, and {@code
   * CLOSE} if its client closed; from then on its input follows the primary's. The new link is in
   * the roles already.
   *
   * @return the connections whose input since the checkpoint is not retained (unprotectable)
   */
  Set<Integer> replayTo(ReplicaLink s, Commit sync) {
    Set<Integer> unprotectable = new HashSet<>();
    for (ClientConnection c : clients.values()) {
      c.inputLock.lock();
      try {
        if (c.fedSecondary == s.serial) {
          continue;
        }
        if (sync.closedConnections().contains(c.id())) {
          unprotectable.add(c.id());
          continue;
        }
        long from = sync.inputOffsets().getOrDefault(c.id(), 0L);
        List<IoFrame.Data> replay = c.retention().from(from);
        if (replay == null) {
          unprotectable.add(c.id());
          continue;
        }
        s.send(new IoFrame.Open(c.id()));
        replay.forEach(s::send);
        if (c.closeSent) {
          s.send(new IoFrame.Close(c.id(), c.inputOffset()));
        }
        c.fedSecondary = s.serial;
        retained.addAndGet(-c.retention().trim(from));
      } finally {
        c.inputLock.unlock();
      }
    }
    return unprotectable;
  }
}
