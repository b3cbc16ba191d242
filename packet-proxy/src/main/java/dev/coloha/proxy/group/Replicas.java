package dev.coloha.proxy.group;

import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import dev.coloha.proxy.compare.OutputComparator;
import dev.coloha.proxy.compare.OutputEffects;
import dev.coloha.proxy.event.EventLog;
import dev.coloha.proxy.ingress.ClientConnection;
import dev.coloha.proxy.metrics.GroupMetrics;
import dev.coloha.proxy.replica.StreamSettings;
import dev.coloha.wire.GroupConflictException;
import dev.coloha.wire.io.IoFrame;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group's replicas: which link is primary and which secondary, every change of that (a commit, a
 * failover, a secondary dropped or attached), and each output frame handed to the comparator as the
 * primary's or the secondary's.
 *
 * <p>Locking: {@link #lock} makes a change of roles and the comparator calls that go with it one
 * step, so that no frame is compared under the wrong role and no client joins half under the old
 * roles. Order: this lock, then a connection's input lock, then the comparator's own lock; never
 * the other way round.
 */
final class Replicas implements ReplicaLink.Listener {
  private static final Logger log = LoggerFactory.getLogger(Replicas.class);

  private final String group;
  private final StreamSettings streams;
  private final OutputComparator comparator;
  private final OutputEffects effects;
  private final Backpressure backpressure;
  private final Map<Integer, ClientConnection> clients;
  private final EventLog events;
  private final GroupMetrics metrics;
  private final ProxyFaults faults;
  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicLong linkSerial = new AtomicLong();
  private final AtomicLong staleFrames = new AtomicLong();
  private volatile Roles roles;
  private volatile boolean closed;

  Replicas(
      String group,
      StreamSettings streams,
      OutputComparator comparator,
      OutputEffects effects,
      Backpressure backpressure,
      Map<Integer, ClientConnection> clients,
      EventLog events,
      GroupMetrics metrics,
      ProxyFaults faults) {
    this.group = group;
    this.streams = streams;
    this.comparator = comparator;
    this.effects = effects;
    this.backpressure = backpressure;
    this.clients = clients;
    this.events = events;
    this.metrics = metrics;
    this.faults = faults;
  }

  /** The current roles (never null once {@link #start} returned). */
  Roles roles() {
    return roles;
  }

  private ReplicaLink link(ReplicaRef ref, long epoch) {
    return new ReplicaLink(
        linkSerial.incrementAndGet(), ref, epoch, streams, this, backpressure::awaitOutputRoom);
  }

  /**
   * Runs {@code step} while the roles cannot change (a new client joins under one pair of roles).
   */
  void withRolesFixed(Runnable step) {
    lock.lock();
    try {
      step.run();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Connects to the replicas of a new group; a secondary synced by {@code sync} compares after it.
   */
  void start(ReplicaRef primary, ReplicaRef secondary, long epoch, Commit sync) {
    ReplicaLink p = link(primary, epoch);
    ReplicaLink s = secondary != null ? link(secondary, epoch) : null;
    if (s != null && sync != null) {
      comparator.commit(sync.sequence(), sync.outputOffsets(), System.nanoTime());
    }
    roles = new Roles(p, s);
    p.start();
    if (s != null) {
      s.start();
    }
  }

  /**
   * Waits, at most {@code timeout} in all, until both replicas' agents made this proxy their VMs'
   * output subscriber. Until then an agent may still write a new VM output to the subscriber it had
   * before (a proxy that died: the frames are lost in its socket), so a group accepts no client
   * before: the reply to a new connection's first request would never arrive.
   *
   * @return whether both did
   */
  boolean awaitOutputs(java.time.Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Roles r = roles;
    boolean ok = r.primary().awaitOutput(timeout);
    if (r.secondary() != null) {
      long left = Math.max(0, deadline - System.nanoTime());
      ok &= r.secondary().awaitOutput(java.time.Duration.ofNanos(left));
    }
    return ok;
  }

  /**
   * Applies a commit to the comparator, if there is a secondary to commit to.
   *
   * @return whether it applied (an older or repeated one does not)
   */
  boolean commit(Commit k, SelfCheckpoint selfCheckpoint) {
    lock.lock();
    try {
      if (roles.secondary() == null) {
        throw new GroupConflictException("group " + group + " has no secondary to commit to");
      }
      faults.reached(ProxyFaults.COMMIT, group);
      selfCheckpoint.committing();
      boolean done = false;
      try {
        done = comparator.commit(k.sequence(), k.outputOffsets(), System.nanoTime());
      } finally {
        selfCheckpoint.committed(done);
      }
      return done;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Fails over as planned; {@code inStep} runs in the same step (the group's new specification). A
   * {@code failover} event tells how many connections were reset (a failover to another VM resets
   * every one).
   */
  void failover(FailoverPlan plan, Runnable inStep) {
    int reset = 0;
    ReplicaLink old;
    ReplicaLink fresh = null;
    lock.lock();
    try {
      Roles r = roles;
      long now = System.nanoTime();
      switch (plan.kind()) {
        case TO_SECONDARY -> {
          old = r.primary();
          roles = new Roles(r.secondary(), null);
          comparator.failoverToSecondary(now);
        }
        case TO_PRIMARY -> {
          old = r.secondary();
          roles = new Roles(r.primary(), null);
          comparator.dropSecondary(now);
        }
        case TO_OTHER_VM -> {
          old = null;
          fresh = link(plan.target(), plan.epoch());
          comparator.dropSecondary(now);
          for (ClientConnection c : clients.values()) {
            effects.resetClient(c.id(), "failover to a VM that never saw this connection");
            reset++;
          }
          roles = new Roles(fresh, null);
          if (r.secondary() != null) {
            r.secondary().close();
          }
          r.primary().close();
        }
        default -> throw new IllegalStateException("nothing to do for " + plan.kind());
      }
      inStep.run();
    } finally {
      lock.unlock();
    }
    if (old != null) {
      old.retire();
    }
    if (fresh != null) {
      fresh.start();
    }
    metrics.failover();
    int resets = reset;
    events.append(
        id ->
            new ProxyEvent.Switched(
                id,
                ProxyEventType.FAILOVER,
                group,
                Instant.now(),
                plan.epoch(),
                OutputComparator.Mode.SINGLE.name(),
                plan.target().toString(),
                null,
                resets));
    log.info("group {}: failover to {} in epoch {}", group, plan.target(), plan.epoch());
  }

  /** The secondary goes: the primary's output is released uncompared from now on. */
  void dropSecondary() {
    ReplicaLink current;
    lock.lock();
    try {
      current = roles.secondary();
      roles = new Roles(roles.primary(), null);
      comparator.dropSecondary(System.nanoTime());
    } finally {
      lock.unlock();
    }
    current.retire();
  }

  /**
   * Re-protection: a secondary synced by checkpoint {@code sync} joins. Each open connection's
   * retained input from the checkpoint's consumed offset on is replayed to it, then its input
   * follows the primary's; comparison restarts in the interval after the checkpoint. Connections
   * whose input is no longer retained stay unprotected.
   */
  void attach(ReplicaRef ref, long epoch, Commit sync, InputFanOut input) {
    ReplicaLink s = link(ref, epoch);
    Set<Integer> unprotectable;
    lock.lock();
    try {
      roles = new Roles(roles.primary(), s);
      unprotectable = input.replayTo(s, sync);
      comparator.attachSecondary(
          sync.sequence(), sync.outputOffsets(), unprotectable, System.nanoTime());
    } finally {
      lock.unlock();
    }
    s.start();
    events.append(
        id ->
            new ProxyEvent.Switched(
                id,
                ProxyEventType.SECONDARY_ATTACHED,
                group,
                Instant.now(),
                epoch,
                OutputComparator.Mode.COLO.name(),
                roles.primary().ref.toString(),
                ref.toString(),
                0));
    log.info(
        "group {}: secondary {} attached after checkpoint {} ({} connections unprotected)",
        group,
        ref,
        sync.sequence(),
        unprotectable.size());
  }

  // ---- what the links tell ----------------------------------------------------------------------

  @Override
  public void frame(ReplicaLink l, IoFrame f) {
    if (f instanceof IoFrame.Output) {
      faults.reached(ProxyFaults.STREAM_BREAK, l.ref.vm()); // the reader reports the break
    }
    if (f instanceof IoFrame.Crashed c) {
      broken(l, "output", "guest crashed: " + c.reason());
      return;
    }
    if (epochOf(f) < l.epoch) {
      staleFrames.incrementAndGet(); // from before this replica joined: fenced off
      return;
    }
    long now = System.nanoTime();
    lock.lock();
    try {
      Roles r = roles;
      if (l == r.primary()) {
        comparator.primary(f, now);
      } else if (l == r.secondary()) {
        comparator.secondary(f, now);
      } else {
        return; // a replaced replica: fenced off
      }
    } finally {
      lock.unlock();
    }
    if (f instanceof IoFrame.Output o) {
      ClientConnection c = clients.get(o.conn());
      if (c != null) {
        c.touched();
      }
    }
  }

  private static long epochOf(IoFrame f) {
    return switch (f) {
      case IoFrame.Output o -> o.epoch();
      case IoFrame.Closed c -> c.epoch();
      case IoFrame.Interval i -> i.epoch();
      case IoFrame.Heartbeat h -> h.epoch();
      default -> Long.MAX_VALUE;
    };
  }

  @Override
  public void broken(ReplicaLink l, String stream, String why) {
    String role = roles.roleOf(l);
    if (role == null || closed) {
      return;
    }
    if (l.broken == null) {
      l.broken = stream + ": " + why;
    }
    metrics.streamBroken();
    events.append(
        id ->
            new ProxyEvent.StreamBroken(
                id,
                ProxyEventType.STREAM_BROKEN,
                group,
                Instant.now(),
                role,
                l.ref.agentUrl(),
                l.ref.vm(),
                stream,
                why));
    if (l.in.failed() || "input".equals(stream)) {
      l.in.abort();
    }
  }

  @Override
  public void queued(ReplicaLink l, long bytes) {
    l.queued = bytes;
    backpressure.inputQueued(roles.mostQueued());
  }

  /** The group is being deleted: nothing the links report counts any more. */
  void stopReporting() {
    closed = true;
  }

  /** The group is deleted: both links close. */
  void close() {
    closed = true;
    Roles r = roles;
    r.primary().close();
    if (r.secondary() != null) {
      r.secondary().close();
    }
  }
}
