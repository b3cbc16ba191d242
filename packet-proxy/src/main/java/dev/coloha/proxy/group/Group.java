package dev.coloha.proxy.group;

import dev.coloha.proxy.compare.Chunk;
import dev.coloha.proxy.compare.Mismatch;
import dev.coloha.proxy.compare.OutputComparator;
import dev.coloha.proxy.compare.OutputEffects;
import dev.coloha.proxy.config.ProxyProperties;
import dev.coloha.proxy.event.EventLog;
import dev.coloha.proxy.event.ProxyEvent;
import dev.coloha.proxy.ingress.ClientConnection;
import dev.coloha.proxy.ingress.ClientEvents;
import dev.coloha.proxy.ingress.Gate;
import dev.coloha.proxy.metrics.GroupMetrics;
import dev.coloha.proxy.replica.AgentCheckpoints;
import dev.coloha.proxy.replica.ReplicaInput;
import dev.coloha.proxy.replica.ReplicaOutput;
import dev.coloha.proxy.replica.StreamSettings;
import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.io.IoFrame;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One protected service: its client listener, its replicas' streams, the {@link OutputComparator}
 * that decides what is released, and the commands of the coordinator (commit, failover,
 * reconfiguration). Client input goes to both replicas in order and is retained since the last
 * commit; output goes to clients only when the comparator releases it.
 *
 * <p>Locking: the comparator's monitor guards the replica roles and every comparator call (effects
 * run under it); a connection's input lock guards its input offset, retention and what was sent to
 * which replica. Order: comparator, then input lock.
 */
public final class Group implements ClientEvents, OutputEffects, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Group.class);

  /** A replica's two streams. */
  final class Link {
    final long serial;
    final ReplicaRef ref;
    final long epoch;
    final ReplicaOutput out;
    final ReplicaInput in;
    volatile String broken;
    volatile long queued;

    Link(ReplicaRef ref, long epoch) {
      this.serial = linkSerial.incrementAndGet();
      this.ref = ref;
      this.epoch = epoch;
      this.out =
          new ReplicaOutput(
              ref,
              epoch,
              streams,
              f -> frame(this, f),
              (o, why) -> broken(this, "output", why),
              Group.this::awaitOutputRoom);
      this.in =
          new ReplicaInput(
              ref, epoch, streams, (i, why) -> broken(this, "input", why), q -> queued(this, q));
    }

    void start() {
      in.start();
      out.start();
    }

    void close() {
      out.close();
      in.close();
    }
  }

  /** Who is primary and secondary right now (one immutable pair, read without locks). */
  record Roles(Link primary, Link secondary) {}

  private final String name;
  private final ProxyProperties props;
  private final StreamSettings streams;
  private final OutputComparator comparator;
  private final EventLog events;
  private final GroupMetrics metrics;
  private final SelfCheckpoint selfCheckpoint;
  private final Gate groupGate = new Gate();
  private final Map<Integer, ClientConnection> clients = new ConcurrentHashMap<>();
  private final AtomicInteger nextConn = new AtomicInteger(1);
  private final AtomicLong retained = new AtomicLong();
  private final AtomicLong linkSerial = new AtomicLong();
  private final AtomicLong mismatchCount = new AtomicLong();
  private final AtomicLong staleFrames = new AtomicLong();
  private final Semaphore slots;
  private final Object room = new Object();
  private final ServerSocket server;
  private volatile GroupSpec spec;
  private volatile Roles roles;
  private volatile boolean closed;

  private Group(
      GroupSpec spec,
      ProxyProperties props,
      MeterRegistry registry,
      ServerSocket server,
      java.util.Map<String, String> headers,
      AgentCheckpoints agents) {
    this.name = spec.name();
    this.props = props;
    this.spec = spec;
    this.server = server;
    this.streams =
        new StreamSettings(
            props.stream().connectTimeout(),
            props.stream().readTimeout(),
            props.stream().heartbeatInterval(),
            (int) props.stream().maxFrame().toBytes(),
            headers);
    this.comparator =
        new OutputComparator(
            spec.mode() == GroupSpec.Mode.COLO && spec.secondary() != null
                ? OutputComparator.Mode.COLO
                : OutputComparator.Mode.SINGLE,
            settings(spec),
            this);
    this.events =
        new EventLog(
            name,
            props.events().history(),
            props.forensics().history(),
            props.events().subscriberBuffer());
    this.slots = new Semaphore(spec.limits().maxConnections());
    this.metrics = new GroupMetrics(registry, name, comparator, clients::size, retained::get);
    this.selfCheckpoint = new SelfCheckpoint(this, props.selfCheckpoint(), agents);
  }

  /**
   * Binds the listener and connects to the replicas' streams.
   *
   * @param headers on every stream to an agent (the shared token)
   * @param agents asks the primary's agent for self-checkpoints
   */
  static Group start(
      GroupSpec spec,
      ProxyProperties props,
      MeterRegistry registry,
      java.util.Map<String, String> headers,
      AgentCheckpoints agents) {
    ServerSocket server;
    try {
      server = new ServerSocket();
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(spec.bindAddress(), spec.port()), 1024);
    } catch (IOException e) {
      throw new GroupConflictException(
          "listen.port",
          "cannot listen on " + spec.bindAddress() + ":" + spec.port() + ": " + e.getMessage());
    }
    Group g = new Group(spec, props, registry, server, headers, agents);
    g.spec = withPort(spec, server.getLocalPort());
    Link p = g.new Link(spec.primary(), spec.epoch());
    Link s =
        spec.mode() == GroupSpec.Mode.COLO && spec.secondary() != null
            ? g.new Link(spec.secondary(), spec.epoch())
            : null;
    if (s != null && spec.sync() != null) {
      g.comparator.commit(spec.sync().sequence(), spec.sync().outputOffsets(), System.nanoTime());
    }
    g.roles = new Roles(p, s);
    p.start();
    if (s != null) {
      s.start();
    }
    if (spec.resume() != null) {
      g.resume(spec.resume());
    }
    Thread.ofVirtual().name("listen-" + g.name).start(g::acceptLoop);
    Thread.ofVirtual().name("tick-" + g.name).start(g::tickLoop);
    log.info(
        "group {} (epoch {}, {}) listens on {}:{}; primary {}, secondary {}",
        g.name,
        spec.epoch(),
        spec.mode(),
        spec.bindAddress(),
        server.getLocalPort(),
        spec.primary(),
        spec.secondary());
    return g;
  }

  /**
   * The replicas still have the connections of the proxy that served them before (it was restarted;
   * their clients are gone): each ends on both replicas as a client's reset would, and new clients
   * are numbered above every id the replicas know. Before the listener accepts anyone.
   */
  private void resume(GroupSpec.Resume r) {
    nextConn.set(r.nextConnection());
    Roles now = roles;
    r.lostConnections().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e -> {
              IoFrame.Close close = new IoFrame.Close(e.getKey(), e.getValue());
              now.primary().in.send(close);
              if (now.secondary() != null) {
                now.secondary().in.send(close);
              }
            });
    log.info(
        "group {}: resumed; ended {} connection(s) of the proxy before, next connection {}",
        name,
        r.lostConnections().size(),
        r.nextConnection());
  }

  private static GroupSpec withPort(GroupSpec s, int port) {
    return new GroupSpec(
        s.name(),
        s.epoch(),
        s.bindAddress(),
        port,
        s.mode(),
        s.primary(),
        s.secondary(),
        s.compareTimeout(),
        s.limits(),
        s.sync(),
        s.resume());
  }

  private OutputComparator.Settings settings(GroupSpec s) {
    return new OutputComparator.Settings(
        s.compareTimeout().toNanos(),
        s.limits().heldPerConnection(),
        s.limits().heldPerGroup(),
        (int) props.compare().sampleSize().toBytes(),
        (int) props.forensics().window().toBytes());
  }

  public String name() {
    return name;
  }

  public GroupSpec spec() {
    return spec;
  }

  public EventLog events() {
    return events;
  }

  public OutputComparator comparator() {
    return comparator;
  }

  /** The current primary. */
  ReplicaRef primaryRef() {
    return roles.primary().ref;
  }

  /** Whether two replicas are compared (output can wait for a checkpoint). */
  boolean comparing() {
    Roles r = roles;
    return r != null && r.secondary() != null && spec.mode() == GroupSpec.Mode.COLO;
  }

  SelfCheckpoint selfCheckpoint() {
    return selfCheckpoint;
  }

  GroupMetrics metrics() {
    return metrics;
  }

  // ---- clients --------------------------------------------------------------------------------

  private void acceptLoop() {
    while (!closed) {
      try {
        slots.acquire();
      } catch (InterruptedException e) {
        return;
      }
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        slots.release();
        if (!closed) {
          log.warn("group {}: accept failed: {}", name, e.getMessage());
        }
        continue;
      }
      int id = nextConn.getAndIncrement();
      if (id <= 0) {
        log.error("group {}: connection ids exhausted; refusing clients", name);
        slots.release();
        close(s);
        continue;
      }
      try {
        s.setTcpNoDelay(true);
      } catch (IOException ignored) {
        // best effort
      }
      ClientConnection c =
          new ClientConnection(
              id,
              s,
              this,
              groupGate,
              (int) props.client().readBuffer().toBytes(),
              props.limits().clientBuffer().toBytes());
      c.inputLock.lock();
      try {
        clients.put(id, c);
        metrics.connection();
        comparator.open(id);
        Roles r = roles;
        r.primary().in.send(new IoFrame.Open(id));
        if (r.secondary() != null) {
          r.secondary().in.send(new IoFrame.Open(id));
          c.fedSecondary = r.secondary().serial;
        }
      } finally {
        c.inputLock.unlock();
      }
      c.start();
      evictUnanswered(c);
    }
  }

  /**
   * At most colo.proxy.client.max-unanswered connections of the group wait for their first reply:
   * above it the oldest of them is closed (slow clients that never finish a request cannot hold the
   * group's connection slots).
   */
  private void evictUnanswered(ClientConnection fresh) {
    int max = props.client().maxUnanswered();
    List<ClientConnection> waiting = new ArrayList<>();
    for (ClientConnection c : clients.values()) {
      if (!c.over() && !c.answered()) {
        waiting.add(c);
      }
    }
    if (waiting.size() <= max) {
      return;
    }
    waiting.sort(java.util.Comparator.comparingLong(ClientConnection::acceptedAt));
    for (int i = 0; i < waiting.size() - max; i++) {
      ClientConnection old = waiting.get(i);
      if (old != fresh) {
        metrics.slowClient();
        old.finish("more than " + max + " connections wait for a first reply");
      }
    }
  }

  /**
   * Closes connections idle for colo.proxy.client.idle-timeout (nothing read, written or queued,
   * and not paused by the proxy itself) and those without a first reply after
   * colo.proxy.client.first-reply-timeout.
   */
  private void idleCheck(long now) {
    long idle = props.client().idleTimeout().toNanos();
    long firstReply = props.client().firstReplyTimeout().toNanos();
    for (ClientConnection c : clients.values()) {
      if (c.over()) {
        continue;
      }
      if (!c.answered() && now - c.acceptedAt() > firstReply) {
        metrics.slowClient();
        c.finish("no reply within colo.proxy.client.first-reply-timeout");
      } else if (now - c.lastActivityAt() > idle
          && c.unsent() == 0
          && c.gate().isOpen()
          && groupGate.isOpen()
          && comparator.buffered(c.id()) == 0) {
        metrics.slowClient();
        c.finish("idle for colo.proxy.client.idle-timeout");
      }
    }
  }

  private static void close(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing
    }
  }

  @Override
  public void input(ClientConnection c, byte[] bytes) {
    c.inputLock.lock();
    try {
      if (c.closeSent) {
        return;
      }
      IoFrame.Data d = new IoFrame.Data(c.id(), c.inputOffset(), bytes);
      c.advanceInput(bytes.length);
      c.retention().add(d);
      retained.addAndGet(bytes.length);
      Roles r = roles;
      r.primary().in.send(d);
      if (r.secondary() != null && c.fedSecondary == r.secondary().serial) {
        r.secondary().in.send(d);
      }
      checkRetention(c, r);
    } finally {
      c.inputLock.unlock();
    }
  }

  /** Retention limits: backpressure in COLO mode, a sliding window with one replica. */
  private void checkRetention(ClientConnection c, Roles r) {
    GroupLimits l = spec.limits();
    if (r.secondary() == null) {
      if (c.retention().bytes() > l.retainedInputPerConnection()) {
        retained.addAndGet(-c.retention().keepAtMost(l.retainedInputPerConnection()));
      }
      if (retained.get() > l.retainedInputPerGroup()) {
        retained.addAndGet(-c.retention().clear());
      }
      return;
    }
    if (c.retention().bytes() > l.retainedInputPerConnection()
        && c.gate().close(Gate.Reason.RETAINED)) {
      pressureEvent("RETAINED", c.id(), c.retention().bytes(), l.retainedInputPerConnection());
    }
    if (retained.get() > l.retainedInputPerGroup() && groupGate.close(Gate.Reason.RETAINED)) {
      pressureEvent("RETAINED", null, retained.get(), l.retainedInputPerGroup());
    }
  }

  @Override
  public void inputClosed(ClientConnection c) {
    c.inputLock.lock();
    try {
      sendClose(c);
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
    Roles r = roles;
    r.primary().in.send(close);
    if (r.secondary() != null && c.fedSecondary == r.secondary().serial) {
      r.secondary().in.send(close);
    }
  }

  @Override
  public void gone(ClientConnection c, String why) {
    if (clients.remove(c.id()) == null) {
      return;
    }
    slots.release();
    log.debug("group {}: connection {} over ({})", name, c.id(), why);
    c.inputLock.lock();
    try {
      sendClose(c);
      retained.addAndGet(-c.retention().clear());
    } finally {
      c.inputLock.unlock();
    }
    comparator.forget(c.id());
    reopenRetention();
  }

  @Override
  public void pausedFor(ClientConnection c, long nanos) {
    metrics.backpressure(nanos);
  }

  // ---- output from the replicas ---------------------------------------------------------------

  private void frame(Link l, IoFrame f) {
    if (f instanceof IoFrame.Crashed c) {
      broken(l, "output", "guest crashed: " + c.reason());
      return;
    }
    if (epochOf(f) < l.epoch) {
      staleFrames.incrementAndGet(); // from before this replica joined: fenced off
      return;
    }
    long now = System.nanoTime();
    synchronized (comparator) {
      Roles r = roles;
      if (l == r.primary()) {
        comparator.primary(f, now);
      } else if (l == r.secondary()) {
        comparator.secondary(f, now);
      } else {
        return; // a replaced replica: fenced off
      }
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

  /** Blocks an output stream reader while the group buffers more than allowed. */
  private void awaitOutputRoom() {
    long max = props.limits().maxBufferedOutput().toBytes();
    while (!closed && comparator.buffered() > max) {
      synchronized (room) {
        try {
          room.wait(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  @Override
  public void release(int conn, Chunk bytes) {
    metrics.holdDelay(System.nanoTime() - bytes.arrivalNanos());
    ClientConnection c = clients.get(conn);
    if (c != null) {
      c.send(bytes);
    }
  }

  @Override
  public void closeClient(int conn) {
    ClientConnection c = clients.get(conn);
    if (c != null) {
      c.closeAfterOutput();
    }
  }

  @Override
  public void resetClient(int conn, String reason) {
    log.warn("group {}: connection {} reset: {}", name, conn, reason);
    metrics.reset();
    ClientConnection c = clients.get(conn);
    if (c != null) {
      Thread.ofVirtual().start(c::reset); // not under the comparator's lock
    }
  }

  @Override
  public void mismatch(Mismatch m) {
    mismatchCount.incrementAndGet();
    metrics.mismatch(m.kind());
    events.mismatch(m, "/v1/groups/" + name + "/mismatches");
    selfCheckpoint.requested(System.nanoTime());
    log.info(
        "group {}: {} mismatch on connection {} at offset {} of interval {}: {}",
        name,
        m.kind(),
        m.conn(),
        m.offset(),
        m.interval(),
        m.detail());
  }

  @Override
  public void pressure(int conn, boolean over, long bytes) {
    GroupLimits l = spec.limits();
    if (conn >= 0) {
      ClientConnection c = clients.get(conn);
      if (c == null) {
        return;
      }
      if (over) {
        c.gate().close(Gate.Reason.HELD);
        pressureEvent("HELD", conn, bytes, l.heldPerConnection());
      } else {
        c.gate().open(Gate.Reason.HELD);
      }
    } else if (over) {
      groupGate.close(Gate.Reason.HELD);
      pressureEvent("HELD", null, bytes, l.heldPerGroup());
    } else {
      groupGate.open(Gate.Reason.HELD);
      synchronized (room) {
        room.notifyAll();
      }
    }
  }

  private void pressureEvent(String reason, Integer conn, long bytes, long limit) {
    log.info("group {}: {} pressure ({} bytes > {}) on {}", name, reason, bytes, limit, conn);
    events.append(
        id ->
            new ProxyEvent.Pressure(
                id, "pressure", name, Instant.now(), reason, conn, bytes, limit, true));
    selfCheckpoint.requested(System.nanoTime());
  }

  private void queued(Link l, long bytes) {
    l.queued = bytes;
    Roles r = roles;
    long limit = spec.limits().retainedInputPerGroup();
    long most =
        Math.max(
            r.primary() == null ? 0 : r.primary().queued,
            r.secondary() == null ? 0 : r.secondary().queued);
    if (most > limit) {
      groupGate.close(Gate.Reason.INPUT_QUEUE);
    } else if (most <= limit / 2) {
      groupGate.open(Gate.Reason.INPUT_QUEUE);
    }
  }

  private void broken(Link l, String stream, String why) {
    Roles r = roles;
    String role = l == r.primary() ? "PRIMARY" : l == r.secondary() ? "SECONDARY" : null;
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
                "stream-broken",
                name,
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

  private void tickLoop() {
    long tick = Math.clamp(spec.compareTimeout().toMillis() / 4, 5, 100);
    while (!closed) {
      try {
        Thread.sleep(tick);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      comparator.tick(now);
      lingerCheck(now);
      idleCheck(now);
      selfCheckpoint.tick(now);
    }
  }

  /** Closes clients that closed their side once their output has been quiet for a while. */
  private void lingerCheck(long now) {
    long linger = props.client().linger().toNanos();
    for (ClientConnection c : clients.values()) {
      if (c.inputClosed()
          && now - Math.max(c.inputClosedAt(), c.lastOutputAt()) > linger
          && c.unsent() == 0
          && comparator.buffered(c.id()) == 0) {
        c.finish("closed by the client");
      }
    }
  }

  // ---- commands -------------------------------------------------------------------------------

  private void fence(long epoch) {
    long current = spec.epoch();
    if (epoch < current) {
      throw new StaleEpochException(current, epoch);
    }
    if (epoch > current) {
      throw new GroupConflictException(
          "epoch " + epoch + " is newer than the group's " + current + ": reconfigure it first");
    }
  }

  /** What a commit did. */
  public record CommitOutcome(boolean applied, OutputComparator.Stats stats) {}

  public CommitOutcome commit(Commit k) {
    fence(k.epoch());
    boolean applied;
    synchronized (comparator) {
      if (roles.secondary() == null) {
        throw new GroupConflictException("group " + name + " has no secondary to commit to");
      }
      selfCheckpoint.committing();
      boolean done = false;
      try {
        done = comparator.commit(k.sequence(), k.outputOffsets(), System.nanoTime());
      } finally {
        selfCheckpoint.committed(done);
      }
      applied = done;
    }
    if (applied) {
      metrics.commit();
      trimRetention(k);
    }
    return new CommitOutcome(applied, comparator.stats());
  }

  private void trimRetention(Commit k) {
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
    reopenRetention();
  }

  private void reopenRetention() {
    GroupLimits l = spec.limits();
    for (ClientConnection c : clients.values()) {
      if (c.retention().bytes() <= l.retainedInputPerConnection() / 2) {
        c.gate().open(Gate.Reason.RETAINED);
      }
    }
    if (retained.get() <= l.retainedInputPerGroup() / 2) {
      groupGate.open(Gate.Reason.RETAINED);
    }
  }

  /**
   * Failover: {@code target} is the only replica from {@code epoch} on. Usually the old secondary
   * (its streams carry on: no byte in flight is lost); the current primary means the secondary is
   * dropped; any other VM gets new streams and the open connections are reset.
   */
  public synchronized GroupView failover(long epoch, ReplicaRef target) {
    GroupSpec s = spec;
    if (epoch < s.epoch()) {
      throw new StaleEpochException(s.epoch(), epoch);
    }
    Roles r = roles;
    if (epoch == s.epoch()) {
      if (target.equals(r.primary().ref) && r.secondary() == null) {
        return view(); // repeated
      }
      throw new GroupConflictException("a failover needs an epoch above " + s.epoch());
    }
    int reset = 0;
    Link old;
    Link fresh = null;
    synchronized (comparator) {
      long now = System.nanoTime();
      if (r.secondary() != null && target.equals(r.secondary().ref)) {
        old = r.primary();
        roles = new Roles(r.secondary(), null);
        comparator.failoverToSecondary(now);
      } else if (target.equals(r.primary().ref)) {
        old = r.secondary();
        roles = new Roles(r.primary(), null);
        comparator.dropSecondary(now);
      } else {
        old = null;
        fresh = new Link(target, epoch);
        comparator.dropSecondary(now);
        for (ClientConnection c : clients.values()) {
          resetClient(c.id(), "failover to a VM that never saw this connection");
          reset++;
        }
        roles = new Roles(fresh, null);
        if (r.secondary() != null) {
          r.secondary().close();
        }
        r.primary().close();
      }
      spec =
          new GroupSpec(
              s.name(),
              epoch,
              s.bindAddress(),
              s.port(),
              s.mode(),
              target,
              null,
              s.compareTimeout(),
              s.limits(),
              null,
              null);
    }
    if (old != null) {
      old.out.close();
      old.in.abort();
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
                "failover",
                name,
                Instant.now(),
                epoch,
                OutputComparator.Mode.SINGLE.name(),
                target.toString(),
                null,
                resets));
    log.info("group {}: failover to {} in epoch {}", name, target, epoch);
    reopenRetention();
    return view();
  }

  /** Applies a new specification of the same group (settings, mode, secondary). */
  public synchronized GroupView reconfigure(GroupSpec next) {
    GroupSpec s = spec;
    if (next.epoch() < s.epoch()) {
      throw new StaleEpochException(s.epoch(), next.epoch());
    }
    if (!next.bindAddress().equals(s.bindAddress())
        || (next.port() != 0 && next.port() != s.port())) {
      throw new GroupConflictException(
          "a group's listen address cannot change; delete and create it again");
    }
    if (!next.primary().equals(roles.primary().ref)) {
      throw new GroupConflictException(
          "the primary is " + roles.primary().ref + "; change it with a failover");
    }
    ReplicaRef wanted = next.mode() == GroupSpec.Mode.COLO ? next.secondary() : null;
    Link current = roles.secondary();
    boolean same = wanted == null ? current == null : current != null && wanted.equals(current.ref);
    if (next.epoch() == s.epoch()) {
      if (same
          && next.mode() == s.mode()
          && next.limits().equals(s.limits())
          && next.compareTimeout().equals(s.compareTimeout())) {
        return view(); // repeated
      }
      throw new GroupConflictException("a reconfiguration needs an epoch above " + s.epoch());
    }
    if (!same && wanted != null && next.sync() == null) {
      // checked before anything changes: a refused request leaves the group as it was
      throw new GroupConflictException(
          "sync", "attaching a secondary needs the checkpoint that synced it");
    }
    comparator.settings(settings(next));
    if (!same) {
      if (current != null) {
        synchronized (comparator) {
          roles = new Roles(roles.primary(), null);
          comparator.dropSecondary(System.nanoTime());
        }
        current.out.close();
        current.in.abort();
      }
      if (wanted != null) {
        attach(wanted, next.epoch(), next.sync());
      }
    }
    spec =
        new GroupSpec(
            s.name(),
            next.epoch(),
            s.bindAddress(),
            s.port(),
            next.mode(),
            next.primary(),
            wanted,
            next.compareTimeout(),
            next.limits(),
            next.sync(),
            null);
    return view();
  }

  /**
   * Re-protection: a secondary synced by checkpoint {@code sync} joins. Each open connection's
   * retained input from the checkpoint's consumed offset on is replayed to it, then its input
   * follows the primary's; comparison restarts in the interval after the checkpoint.
   */
  private void attach(ReplicaRef ref, long epoch, Commit sync) {
    Link s = new Link(ref, epoch);
    Set<Integer> unprotectable = new HashSet<>();
    synchronized (comparator) {
      roles = new Roles(roles.primary(), s);
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
          s.in.send(new IoFrame.Open(c.id()));
          replay.forEach(s.in::send);
          if (c.closeSent) {
            s.in.send(new IoFrame.Close(c.id(), c.inputOffset()));
          }
          c.fedSecondary = s.serial;
          retained.addAndGet(-c.retention().trim(from));
        } finally {
          c.inputLock.unlock();
        }
      }
      comparator.attachSecondary(
          sync.sequence(), sync.outputOffsets(), unprotectable, System.nanoTime());
    }
    s.start();
    events.append(
        id ->
            new ProxyEvent.Switched(
                id,
                "secondary-attached",
                name,
                Instant.now(),
                epoch,
                OutputComparator.Mode.COLO.name(),
                roles.primary().ref.toString(),
                ref.toString(),
                0));
    log.info(
        "group {}: secondary {} attached after checkpoint {} ({} connections unprotected)",
        name,
        ref,
        sync.sequence(),
        unprotectable.size());
  }

  // ---- views ----------------------------------------------------------------------------------

  public GroupView view() {
    GroupSpec s = spec;
    Roles r = roles;
    OutputComparator.Stats st = comparator.stats();
    String state;
    if (s.mode() == GroupSpec.Mode.PASSTHROUGH) {
      state = "PASSTHROUGH";
    } else if (r.secondary() == null) {
      state = "UNPROTECTED";
    } else if (r.primary().broken != null || r.secondary().broken != null) {
      state = "DEGRADED";
    } else if (!r.primary().out.connected() || !r.secondary().out.connected()) {
      state = "CONNECTING";
    } else {
      state = "PROTECTED";
    }
    return new GroupView(
        name,
        s.epoch(),
        s.mode().name(),
        state,
        s.bindAddress() + ":" + s.port(),
        replica(r.primary()),
        r.secondary() == null ? null : replica(r.secondary()),
        s.compareTimeout(),
        s.limits(),
        new GroupView.Counters(
            clients.size(),
            st.committed() < -1 ? -1 : st.committed(),
            st.compareInterval() < 0 ? -1 : st.compareInterval(),
            st.heldPrimary(),
            st.heldSecondary(),
            st.compared(),
            st.releasedMatched(),
            st.releasedCommitted(),
            st.releasedSingle(),
            st.droppedSecondary(),
            retained.get(),
            mismatchCount.get(),
            events.lastId(),
            events.subscribers(),
            selfCheckpoint.taken(),
            selfCheckpoint.failed()));
  }

  private static GroupView.Replica replica(Link l) {
    return new GroupView.Replica(l.ref.agentUrl(), l.ref.vm(), l.out.connected(), l.broken);
  }

  public int port() {
    return server.getLocalPort();
  }

  @Override
  public void close() {
    closed = true;
    close(server);
    for (ClientConnection c : clients.values()) {
      c.finish("group deleted");
    }
    Roles r = roles;
    r.primary().close();
    if (r.secondary() != null) {
      r.secondary().close();
    }
    events.closeAll();
    metrics.close();
    synchronized (room) {
      room.notifyAll();
    }
    slots.release(Integer.MAX_VALUE / 2);
    log.info("group {} deleted", name);
  }

  private static void close(ServerSocket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
