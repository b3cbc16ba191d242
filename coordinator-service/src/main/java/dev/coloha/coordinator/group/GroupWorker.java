package dev.coloha.coordinator.group;

import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.coordinator.decision.Role;
import dev.coloha.coordinator.decision.Signal;
import dev.coloha.coordinator.events.GroupEvents;
import dev.coloha.coordinator.hosts.HostRegistry;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Policy;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.MirrorClient;
import dev.coloha.coordinator.remote.ProxyEventStream;
import dev.coloha.coordinator.remote.Remote;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one group: a single thread that serialises everything done to it (creation, checkpoints,
 * failover, re-protection, deletion). Its inbox takes the commands of the API, the host registry
 * and the proxy's event stream; each becomes a {@link Signal} for the decision machine, run by the
 * group's {@link GroupExecutor}, and every turn of its loop the {@link HostWatch} looks at the
 * heartbeats and the machine gets a tick (docs/coordinator.md, "Decisions").
 */
final class GroupWorker {
  private static final Logger log = LoggerFactory.getLogger(GroupWorker.class);

  sealed interface Command {}

  record Checkpoint(String reason, CompletableFuture<Group> done) implements Command {}

  record Failover(String reason, CompletableFuture<Group> done) implements Command {}

  record HostLost(String host) implements Command {}

  record Suspect(String replica, String reason) implements Command {}

  /** The proxy lost its stream to (or the guest of) a replica. */
  record StreamBroken(String agentUrl, String vm, String reason) implements Command {}

  record ChangePolicy(Policy policy, CompletableFuture<Group> done) implements Command {}

  record Delete(CompletableFuture<Void> done) implements Command {}

  record Wake() implements Command {}

  /** The proxy at {@code url} beat: if the group waits for it, try now. */
  record ProxyBeat(String url) implements Command {}

  /**
   * The proxy that beat from {@code from} beats from {@code to} now (its standby took over): a
   * group it served moves to it.
   */
  record ProxyMoved(String from, String to) implements Command {}

  /** The proxy does not serve the group (its event stream says so, or broke). */
  record ProxyUnserved(String reason, Instant seen) implements Command {}

  /**
   * The proxy reported a mismatch (or pressure) that asks for a checkpoint. Counted on the worker's
   * thread: the group is the worker's alone, a change made from the event thread could undo one the
   * worker made meanwhile (a re-protection, a new epoch).
   */
  record Mismatch(String kind, boolean counted) implements Command {}

  /**
   * The proxy committed a checkpoint it asked of the primary itself (a self-checkpoint, applied):
   * it answered every checkpoint request the proxy made before it.
   */
  record SelfCheckpointed(long epoch, long sequence) implements Command {}

  private final GroupOperations ops;
  private final GroupExecutor exec;
  private final HostWatch watch;
  private final Remote remote;
  private final CoordinatorMetrics metrics;
  private final CoordinatorSettings props;
  private final Clock clock;
  private final Runnable onDeleted;
  private final LinkedBlockingQueue<Command> inbox = new LinkedBlockingQueue<>();
  private ProxyEventStream proxyEvents;
  private String proxyEventsUrl;
  private volatile boolean stopped;
  private Thread thread;

  GroupWorker(
      Group group,
      GroupOperations ops,
      HostRegistry hosts,
      AgentClient agents,
      MirrorClient mirrors,
      Remote remote,
      GroupEvents events,
      CoordinatorMetrics metrics,
      CoordinatorSettings props,
      Clock clock,
      Runnable onDeleted) {
    this.ops = ops;
    this.remote = remote;
    this.metrics = metrics;
    this.props = props;
    this.clock = clock;
    this.onDeleted = onDeleted;
    this.exec = new GroupExecutor(group, ops, events, metrics, props, clock);
    this.watch = new HostWatch(exec, hosts, agents, mirrors, props, clock);
    exec.watchWith(watch);
  }

  Group group() {
    return exec.group();
  }

  void start() {
    thread = Thread.ofVirtual().name("group-" + group().id()).start(this::run);
  }

  void send(Command c) {
    inbox.add(c);
  }

  /**
   * Ends the worker after its current step. Never by interrupting it: an interrupt closes the
   * embedded database's file channel under a write.
   */
  void stop() {
    stopped = true;
    if (proxyEvents != null) {
      proxyEvents.close();
    }
    inbox.add(new Wake());
  }

  private void run() {
    resume();
    while (!stopped) {
      try {
        Command c = inbox.poll(tick().toNanos(), TimeUnit.NANOSECONDS);
        if (c != null) {
          handle(c);
          // every command waiting is decided before the periodic part checkpoints: a broken
          // replica stream behind a mismatch is not left waiting for the checkpoint it would fail
          handleWaiting();
        }
        periodic();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn("group {}: {}", group().id(), e.toString());
        // a step that failed half-way may have persisted a transition (a new epoch) that this
        // copy lacks: the API shows what is persisted, so the stored group is the truth
        exec.replace(ops.stored(group()));
        sleepQuietly(props.reprotectDelay());
      }
    }
  }

  private Duration tick() {
    Duration hb = group().policy().heartbeatInterval();
    return hb.compareTo(Duration.ofMillis(50)) > 0 ? Duration.ofMillis(50) : hb;
  }

  /** Picks up where a coordinator restart (or a new group) left the group. */
  void resume() {
    exec.resume();
  }

  // ---- commands: each becomes a signal for the decision machine, or an API step -----------------

  private void handle(Command c) {
    switch (c) {
      case Wake w -> {
        // the loop runs periodic() next
      }
      case ProxyBeat b -> exec.signal(new Signal.ProxyReRegistered(b.url(), clock.instant()));
      case ProxyMoved m -> exec.signal(new Signal.ProxyMoved(m.from(), m.to(), clock.instant()));
      case ProxyUnserved u ->
          exec.signal(new Signal.ProxyUnserved(u.reason(), u.seen(), clock.instant()));
      case SelfCheckpointed sc ->
          exec.signal(new Signal.SelfCheckpointed(sc.epoch(), sc.sequence()));
      case Mismatch m -> {
        metrics.mismatch(group().id(), m.kind().equals("proxy") ? "unknown" : m.kind());
        exec.signal(m.counted() ? new Signal.Mismatch(m.kind()) : new Signal.Pressure(m.kind()));
      }
      case Checkpoint ck ->
          complete(
              ck.done(),
              () -> {
                requireState(GroupState.PROTECTED, "checkpoint");
                return exec.checkpointNow(ck.reason());
              });
      case Failover f ->
          complete(
              f.done(),
              () -> {
                requireState(GroupState.PROTECTED, "fail over");
                return exec.failoverNow(f.reason());
              });
      case HostLost h ->
          exec.signal(new Signal.HostLost(h.host(), "host " + h.host() + " declared lost"));
      case Suspect s ->
          exec.signal(
              new Signal.HostSilent(
                  s.replica().startsWith("s") ? Role.SECONDARY : Role.PRIMARY, s.reason()));
      case StreamBroken b ->
          exec.streamBroken(new Signal.StreamBroken(b.agentUrl(), b.vm(), b.reason()));
      case ChangePolicy p ->
          complete(
              p.done(),
              () -> {
                exec.signal(new Signal.PolicyChanged(p.policy()));
                return group();
              });
      case Delete d -> {
        stop();
        try {
          ops.delete(group());
          onDeleted.run(); // gone from the list before the DELETE is answered
          d.done().complete(null);
        } catch (RuntimeException e) {
          onDeleted.run();
          d.done().completeExceptionally(e);
        }
      }
    }
  }

  private interface Step {
    Group run();
  }

  private static void complete(CompletableFuture<Group> f, Step step) {
    try {
      f.complete(step.run());
    } catch (RuntimeException e) {
      f.completeExceptionally(e);
    }
  }

  private void requireState(GroupState s, String what) {
    if (group().state() != s) {
      throw new GroupStateException(group().id(), group().state(), what);
    }
  }

  // ---- the periodic part ----------------------------------------------------------------------

  /** The proxy's event stream followed, the hosts watched, then whatever is due now. */
  private void periodic() {
    if (stopped) {
      return;
    }
    followProxyEvents();
    watch.watch();
    exec.signal(new Signal.Tick(clock.instant()));
  }

  private void followProxyEvents() {
    String url = group().proxyUrl();
    if (url == null || url.equals(proxyEventsUrl)) {
      return;
    }
    if (proxyEvents != null) {
      proxyEvents.close();
    }
    proxyEventsUrl = url;
    proxyEvents =
        new ProxyEventStream(
                remote,
                url,
                group().id(),
                this::proxyEvent,
                (why, seen) -> send(new ProxyUnserved(why, seen)),
                Duration.ofMillis(500))
            .start();
  }

  /**
   * One turn of the worker's loop on the calling thread (tests): the commands waiting in the inbox,
   * then the periodic part (proxy events, host watch, checkpoint, re-protection, proxy restore).
   */
  void step() {
    handleWaiting();
    periodic();
  }

  /** Handles the commands waiting in the inbox on the calling thread (tests). */
  void handleWaiting() {
    for (Command c = inbox.poll(); c != null; c = inbox.poll()) {
      handle(c);
    }
  }

  /** One event from the proxy's stream; runs on the stream's thread, so it only sends commands. */
  void proxyEvent(ProxyEvent e) {
    // on this (the event stream's) thread only a message: the worker counts it and checkpoints.
    // Pressure and a failed self-checkpoint of the proxy (docs/proxy.md "Self-checkpoints") ask
    // for a checkpoint without being mismatches
    switch (e) {
      case ProxyEvent.Mismatch m when m.checkpointRequested() ->
          send(new Mismatch(m.kind().name().toLowerCase(java.util.Locale.ROOT), true));
      case ProxyEvent.Pressure p -> send(new Mismatch(p.type().slug(), false));
      case ProxyEvent.SelfCheckpointFailed f when f.checkpointRequested() ->
          send(new Mismatch(f.type().slug(), false));
      case ProxyEvent.StreamBroken b -> {
        // a checkpoint the worker waits for gives up at once; the command decides
        exec.streamBrokenReported(new Signal.StreamBroken(b.agentUrl(), b.vm(), b.reason()));
        send(new StreamBroken(b.agentUrl(), b.vm(), b.reason()));
      }
      case ProxyEvent.SelfCheckpoint c when c.applied() ->
          send(new SelfCheckpointed(c.epoch(), c.sequence()));
      // no checkpoint asked for; a switch of replicas the coordinator ordered itself
      case ProxyEvent.Mismatch _,
          ProxyEvent.SelfCheckpointFailed _,
          ProxyEvent.SelfCheckpoint _,
          ProxyEvent.Switched _,
          ProxyEvent.Heartbeat _ -> {}
    }
  }

  private static void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
