package dev.coloha.coordinator.group;

import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.coordinator.config.CoordinatorProperties;
import dev.coloha.coordinator.config.RetryBackoff;
import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.events.GroupEvents;
import dev.coloha.coordinator.hosts.HostRegistry;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Policy;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.MirrorClient;
import dev.coloha.coordinator.remote.ProxyEventStream;
import dev.coloha.coordinator.remote.Remote;
import dev.coloha.coordinator.remote.RemoteException;
import dev.coloha.coordinator.remote.UnreachableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one group: a single thread that serialises everything done to it (creation, checkpoints,
 * failover, re-protection, deletion), decides when to checkpoint (proxy mismatch and pressure
 * events, the maximum interval; no more often than the minimum interval, requests in between
 * coalesce), and watches its hosts (missed heartbeats, then a probe).
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
  private final HostRegistry hosts;
  private final AgentClient agents;
  private final MirrorClient mirrors;
  private final Remote remote;
  private final GroupEvents events;
  private final CoordinatorMetrics metrics;
  private final CoordinatorProperties props;
  private final Clock clock;
  private final Runnable onDeleted;
  private final LinkedBlockingQueue<Command> inbox = new LinkedBlockingQueue<>();
  private volatile Group group;
  private volatile String wantedReason;
  private Instant lastAttempt = Instant.EPOCH;
  private int failedInARow;
  private Instant nextReprotect = Instant.EPOCH;
  private int createAttempts;
  private Instant creatingSince;
  private final Backoff reprotectBackoff;
  private final Backoff restoreBackoff;
  private Instant nextRestore = Instant.EPOCH;
  private final Backoff restartBackoff;
  private Instant nextRestart = Instant.EPOCH;

  /** Since when a RESTARTING group waits for its volume's host (null: not waiting). */
  private Instant restartingSince;

  /** Since when the proxy is known to serve the group (it was configured, or restored). */
  private Instant servedSince = Instant.EPOCH;

  private final Map<String, Instant> probedOk = new java.util.HashMap<>();
  private final LonePrimaryWatch lonePrimary;
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
      CoordinatorProperties props,
      Clock clock,
      Runnable onDeleted) {
    this.group = group;
    this.ops = ops;
    this.hosts = hosts;
    this.agents = agents;
    this.mirrors = mirrors;
    this.remote = remote;
    this.events = events;
    this.metrics = metrics;
    this.props = props;
    this.clock = clock;
    this.onDeleted = onDeleted;
    Duration base = props == null ? Duration.ofSeconds(1) : props.reprotectDelay();
    RetryBackoff retry = props == null ? RetryBackoff.defaults() : props.retry();
    this.reprotectBackoff =
        new Backoff(
            "reprotect-" + group.id(),
            base,
            retry.reprotectMaxDelay(base),
            retry.multiplier(),
            retry.jitter());
    this.restoreBackoff =
        new Backoff(
            "proxy-restore-" + group.id(),
            retry.restoreDelay(),
            retry.restoreMaxDelay(),
            retry.multiplier(),
            retry.jitter());
    this.restartBackoff =
        new Backoff(
            "restart-" + group.id(),
            base,
            retry.reprotectMaxDelay(base),
            retry.multiplier(),
            retry.jitter());
    this.lonePrimary =
        new LonePrimaryWatch(props == null ? Duration.ofMinutes(5) : props.lonePrimaryPatience());
  }

  Group group() {
    return group;
  }

  void start() {
    thread = Thread.ofVirtual().name("group-" + group.id()).start(this::run);
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
        }
        periodic();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn("group {}: {}", group.id(), e.toString());
        // a step that failed half-way may have persisted a transition (a new epoch) that this
        // copy lacks: the API shows what is persisted, so the stored group is the truth
        group = ops.stored(group);
        sleepQuietly(props.reprotectDelay());
      }
    }
  }

  private Duration tick() {
    Duration hb = group.policy().heartbeatInterval();
    return hb.compareTo(Duration.ofMillis(50)) > 0 ? Duration.ofMillis(50) : hb;
  }

  /** Picks up where a coordinator restart (or a new group) left the group. */
  void resume() {
    try {
      group =
          switch (group.state()) {
            case CREATING, SYNCING -> ops.protect(group);
            case FAILING_OVER -> ops.failover(group, "resumed after a coordinator restart");
            case REPROTECTING -> ops.reprotect(interruptedPairing(group));
            case PROTECTED -> reconcileProtected(group);
            case UNSERVED -> group; // restored by the periodic part as soon as the proxy answers
            case RESTARTING -> group; // restarted by the periodic part once its host answers
            default -> group;
          };
    } catch (RuntimeException e) {
      protectFailed(e);
    }
  }

  /**
   * A re-protection the coordinator's restart interrupted: the half-made secondary is an orphan
   * (deleted once its host answers, unless the next attempt picks that host again and starts it
   * afresh), and the group pairs again as a DEGRADED one would.
   */
  private static Group interruptedPairing(Group g) {
    Replica s = g.secondary();
    Group alone = g.withReplicas(g.primary(), null);
    if (s == null || g.orphans().contains(s)) {
      return alone;
    }
    List<Replica> orphans = new java.util.ArrayList<>(g.orphans());
    orphans.add(s);
    return alone.withOrphans(orphans);
  }

  /**
   * Creation or pairing failed (a timeout on a loaded host, a host that went away): the group keeps
   * its state and the worker tries again after reprotect-delay; every step is idempotent.
   */
  private void protectFailed(RuntimeException e) {
    // the step may have persisted progress this copy lacks (above all the placement): the stored
    // group is the truth, or a retry would place the group anew and a FAILED group would forget the
    // replicas it had created (a DELETE could not remove them)
    group = ops.stored(group);
    log.warn("group {}: could not resume {} yet: {}", group.id(), group.state(), e.getMessage());
    nextReprotect = clock.instant().plus(props.reprotectDelay());
    if (group.state() == GroupState.CREATING || group.state() == GroupState.SYNCING) {
      if (givenUp(e)) {
        return;
      }
      group =
          ops.save(
              group.with(group.state(), "retrying: " + e.getMessage()),
              "protect-failed",
              e.getMessage());
    }
  }

  /**
   * A group that still cannot be placed and started after create-attempts attempts and
   * create-timeout goes to FAILED with its reason (a DELETE then removes whatever it left).
   */
  private boolean givenUp(RuntimeException e) {
    Instant now = clock.instant();
    if (creatingSince == null) {
      creatingSince = now;
    }
    createAttempts++;
    Duration spent = Duration.between(creatingSince, now);
    if (createAttempts < props.createAttempts() || spent.compareTo(props.createTimeout()) < 0) {
      return false;
    }
    String reason =
        "could not be placed and started in "
            + createAttempts
            + " attempts over "
            + spent.toSeconds()
            + " s: "
            + e.getMessage();
    log.warn("group {}: {}", group.id(), reason);
    group = ops.save(group.with(GroupState.FAILED, reason), "failed", reason);
    return true;
  }

  private Group reconcileProtected(Group g) {
    AgentClient.Replication r = agents.replication(g.primary().agentUrl(), g.primary().vm());
    if (r.lastCheckpoint() > g.lastCheckpoint()) {
      g = g.withCheckpoint(r.lastCheckpoint(), clock.instant());
    }
    return g;
  }

  // ---- commands ---------------------------------------------------------------------------------

  private void handle(Command c) {
    switch (c) {
      case Wake w -> {
        // the loop runs periodic() next
      }
      case ProxyBeat b -> {
        if (group.state() == GroupState.UNSERVED && b.url().equals(group.proxyUrl())) {
          nextRestore = clock.instant(); // it answers again: no need to wait out the backoff
        }
      }
      case ProxyUnserved u -> {
        if (!u.seen().isBefore(servedSince)) {
          proxyUnserved(u.reason());
        }
      }
      case SelfCheckpointed sc -> {
        if (sc.epoch() == group.epoch() && wantedReason != null) {
          // the requests that arrived before it (the stream keeps their order) are answered: a
          // checkpoint of ours now would be a second one for them (a slow coordinator's double
          // checkpoint). A request the proxy still has after its commit comes as a new event
          log.debug(
              "group {}: the proxy's self-checkpoint {} answered the pending request ({})",
              group.id(),
              sc.sequence(),
              wantedReason);
          wantedReason = null;
        }
      }
      case Mismatch m -> {
        metrics.mismatch(group.id(), m.kind().equals("proxy") ? "unknown" : m.kind());
        if (m.counted()) {
          group = group.withCounters(group.counters().mismatch());
        }
        if (wantedReason == null) {
          // a checkpoint soon: coalesced with others, rate-limited by the minimum interval
          wantedReason = m.kind();
        }
      }
      case Checkpoint ck ->
          complete(
              ck.done(),
              () -> {
                requireState(GroupState.PROTECTED, "checkpoint");
                return checkpoint(ck.reason());
              });
      case Failover f ->
          complete(
              f.done(),
              () -> {
                requireState(GroupState.PROTECTED, "fail over");
                group = ops.failover(group, f.reason());
                nextReprotect = clock.instant().plus(props.reprotectDelay());
                return group;
              });
      case HostLost h -> hostGone(h.host(), "host " + h.host() + " declared lost");
      case Suspect s -> suspect(s.replica(), s.reason());
      case StreamBroken b -> streamBroken(b);
      case ChangePolicy p ->
          complete(
              p.done(),
              () -> {
                group = ops.save(group.withPolicy(p.policy()), "policy", p.policy().toString());
                if (group.primary() != null
                    && group.proxyUrl() != null
                    && group.state() == GroupState.PROTECTED) {
                  // the proxy takes the new compare timeout with its next configuration
                  wantedReason = wantedReason == null ? "policy" : wantedReason;
                }
                return group;
              });
      case Delete d -> {
        stop();
        try {
          ops.delete(group);
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
    if (group.state() != s) {
      throw new GroupStateException(group.id(), group.state(), what);
    }
  }

  // ---- the periodic part ----------------------------------------------------------------------

  private void periodic() {
    if (stopped) {
      return;
    }
    followProxyEvents();
    watchHosts();
    Group g = group;
    Instant now = clock.instant();
    if (g.state() == GroupState.PROTECTED) {
      boolean rateOk = Duration.between(lastAttempt, now).compareTo(g.policy().minInterval()) >= 0;
      Instant last = g.lastCheckpointAt() == null ? Instant.EPOCH : g.lastCheckpointAt();
      if (wantedReason != null && rateOk) {
        tryCheckpoint(wantedReason);
      } else if (Duration.between(last, now).compareTo(g.policy().maxInterval()) >= 0 && rateOk) {
        tryCheckpoint("interval");
      }
    } else if ((g.state() == GroupState.CREATING || g.state() == GroupState.SYNCING)
        && !now.isBefore(nextReprotect)) {
      try {
        Instant asked = clock.instant();
        group = ops.protect(g);
        servedSince = asked;
      } catch (RuntimeException e) {
        protectFailed(e);
      }
    } else if (g.state() == GroupState.UNSERVED && !now.isBefore(nextRestore)) {
      restoreProxy();
    } else if (g.state() == GroupState.RESTARTING && !now.isBefore(nextRestart)) {
      restartFromVolume(now);
    } else if (g.state() == GroupState.FAILING_OVER && !now.isBefore(nextReprotect)) {
      // a failover whose promotion failed (the secondary's agent busy, or gone too: then both are
      // lost) is tried again in its persisted epoch, with backoff
      nextReprotect = now.plus(reprotectBackoff.next());
      failover(g.reason() == null ? "failover resumed" : g.reason());
    } else if ((g.state() == GroupState.DEGRADED && g.primary() != null)
        && !now.isBefore(nextReprotect)) {
      group = ops.reprotect(g);
      if (group.state() == GroupState.PROTECTED) {
        servedSince = now;
      }
      // a failed attempt (the group is still DEGRADED) waits longer each time, with jitter, so
      // that retries neither hammer a loaded host nor move in lock-step with other groups
      nextReprotect =
          group.state() == GroupState.DEGRADED
              ? now.plus(reprotectBackoff.next())
              : now.plus(reprotectBackoff.reset());
    }
    group = ops.cleanOrphans(group);
  }

  /**
   * Both replicas died, the last primary's volume is kept: start the new primary from it as soon as
   * its host's agent and mirror answer (with backoff); FAILED if that takes longer than
   * lone-primary-patience.
   */
  private void restartFromVolume(Instant now) {
    if (restartingSince == null) {
      // from when the group began RESTARTING, as persisted: a coordinator restart does not extend
      // the patience (a store written before the time was kept: from now)
      restartingSince = group.since() != null ? group.since() : now;
    }
    try {
      group = ops.restartFromVolume(group);
    } catch (RuntimeException e) {
      group = ops.stored(group);
      log.warn("group {}: restart from its volume failed: {}", group.id(), e.getMessage());
    }
    if (group.state() != GroupState.RESTARTING) {
      restartingSince = null;
      restartBackoff.reset();
      servedSince = clock.instant();
      nextReprotect = clock.instant().plus(props.reprotectDelay());
      return;
    }
    Duration waited = Duration.between(restartingSince, now);
    if (waited.compareTo(lonePrimary.patience()) > 0) {
      String reason =
          "could not restart from its volume on "
              + group.primary().host()
              + " within lone-primary-patience ("
              + lonePrimary.patience().toSeconds()
              + " s): its agent or mirror does not answer";
      restartingSince = null;
      group = ops.save(group.with(GroupState.FAILED, reason), "failed", reason);
      return;
    }
    nextRestart = now.plus(restartBackoff.next());
  }

  /** The proxy does not serve the group: UNSERVED (persisted once), restored when it answers. */
  private void proxyUnserved(String reason) {
    Group g = group;
    if (g.state() != GroupState.PROTECTED && g.state() != GroupState.DEGRADED) {
      return;
    }
    log.warn("group {}: the proxy does not serve it: {}", g.id(), reason);
    group = ops.save(g.with(GroupState.UNSERVED, reason), "proxy-lost-group", reason);
    restoreBackoff.reset();
    nextRestore = clock.instant();
  }

  private void restoreProxy() {
    try {
      group = ops.restoreProxy(group);
      // from when the restore is done: a 404 the event stream met while the proxy was still being
      // given the group (a request made before its PUT) is stale, not a new loss
      servedSince = clock.instant();
      restoreBackoff.reset();
      failedInARow = 0;
    } catch (RuntimeException e) {
      Duration wait = restoreBackoff.next();
      nextRestore = clock.instant().plus(wait);
      log.info(
          "group {}: the proxy cannot serve it yet ({}); again in {} ms",
          group.id(),
          e.getMessage(),
          wait.toMillis());
    }
  }

  private void tryCheckpoint(String reason) {
    wantedReason = null;
    lastAttempt = clock.instant();
    try {
      checkpoint(reason);
      failedInARow = 0;
    } catch (RuntimeException e) {
      FailureAttribution.Culprit who = FailureAttribution.of(e, group);
      if (who == FailureAttribution.Culprit.PROXY_WITHOUT_GROUP
          || who == FailureAttribution.Culprit.PROXY_DOWN) {
        // the replicas did their part: the proxy needs the group again (or is down). Not a
        // replica's failure: nothing is counted against them
        metrics.checkpointFailed(group.id(), "proxy");
        proxyUnserved("checkpoint commit failed: " + e.getMessage());
        return;
      }
      failedInARow++;
      String why =
          e instanceof RemoteException r
              ? r.problem()
              : e instanceof UnreachableException ? "unreachable" : "error";
      metrics.checkpointFailed(group.id(), why);
      group = group.withCounters(group.counters().checkpointFailure());
      events.publish(
          new GroupEvent(
              clock.instant(),
              group.id(),
              "checkpoint-failed",
              group.epoch(),
              group.state().name(),
              e.getMessage()));
      // find out which side is the problem
      suspect("primary", "checkpoint failed: " + e.getMessage());
      if (group.state() == GroupState.PROTECTED) {
        suspect("secondary", "checkpoint failed: " + e.getMessage());
      }
      if (group.state() == GroupState.PROTECTED && who == FailureAttribution.Culprit.PRIMARY_DISK) {
        primaryDiskFailed(e);
      } else if (group.state() == GroupState.PROTECTED
          && e instanceof RemoteException r
          && r.problem().equals("resync-required")) {
        group = ops.secondaryLost(group, "it lost the checkpoint chain (" + r.getMessage() + ")");
        nextReprotect = clock.instant();
      } else if (group.state() == GroupState.PROTECTED
          && primaryCannotReachSecondary(e, group.primary().agentUrl())) {
        // both answer us, but not each other (a partition between their hosts, or a secondary
        // too slow to acknowledge): the proxy holds the primary's output until a commit that
        // cannot come, so the service would stall for as long as the partition lasts. Carry on
        // with the primary alone in a new epoch (fencing the secondary), re-protect later.
        group =
            ops.secondaryLost(group, "the primary cannot replicate to it (" + e.getMessage() + ")");
        nextReprotect = clock.instant().plus(props.reprotectDelay());
      } else if (group.state() == GroupState.PROTECTED
          && failedInARow >= props.maxCheckpointFailures()) {
        // both answer, yet checkpoints fail: the pair cannot reach each other (a partition
        // between their hosts). The primary keeps the service; output held for a checkpoint is
        // released once the proxy stops comparing; the secondary is fenced by the new epoch.
        group =
            ops.secondaryLost(
                group,
                failedInARow
                    + " checkpoints in a row failed with both replicas up: "
                    + e.getMessage());
        nextReprotect = clock.instant().plus(props.reprotectDelay());
      }
      if (group.state() != GroupState.PROTECTED) {
        failedInARow = 0;
      }
    }
  }

  /**
   * Whether a failed checkpoint says that the primary, which answered, has no working link to its
   * secondary: {@code timeout} (no acknowledgement in time) or {@code unavailable} (the link is
   * broken and reconnecting failed).
   */
  static boolean primaryCannotReachSecondary(RuntimeException e, String primaryAgentUrl) {
    return e instanceof RemoteException r
        && r.target().equals(AgentClient.target(primaryAgentUrl))
        && (r.problem().equals("timeout") || r.problem().equals("unavailable"));
  }

  /**
   * The primary's checkpoint failed on its own disk. If its mirror does not answer, the primary is
   * lost: fail over to the secondary, whose disk works (the proxy holds what the failing disk made
   * the primary answer, as it differs from the secondary's output, and a failover drops it). If its
   * mirror answers, the barrier may have failed on the way to the secondary's mirror: then a
   * secondary mirror that does not answer is a lost secondary; else the failure is counted.
   */
  private void primaryDiskFailed(RuntimeException e) {
    Group g = group;
    Replica p = g.primary();
    Replica s = g.secondary();
    if (p.mirrorUrl() != null && !mirrors.ready(p.mirrorUrl(), props.probeTimeout())) {
      replicaGone(true, "the primary's disk mirror does not answer: " + e.getMessage());
    } else if (s != null
        && s.mirrorUrl() != null
        && !mirrors.ready(s.mirrorUrl(), props.probeTimeout())) {
      replicaGone(false, "the secondary's disk mirror does not answer: " + e.getMessage());
    } else if (failedInARow >= props.maxCheckpointFailures()) {
      // both mirrors answer, yet the primary's disk keeps failing: the primary is the one that
      // cannot go on, not the secondary
      replicaGone(true, failedInARow + " checkpoints in a row failed on the primary's disk");
    }
  }

  private Group checkpoint(String reason) {
    Replica p = group.primary();
    Duration limit = group.policy().suspectAfter();
    Instant[] nextProbe = {Instant.EPOCH};
    group =
        ops.checkpoint(
            group,
            reason,
            () -> {
              // on this thread, while it waits for the primary's answer
              if (hosts.lost(p.host())) {
                return true;
              }
              Instant now = clock.instant();
              if (hosts.silence(p.host()).compareTo(limit) <= 0 || now.isBefore(nextProbe[0])) {
                return false;
              }
              nextProbe[0] = now.plus(limit);
              return !agents.alive(p.agentUrl(), props.probeTimeout());
            });
    return group;
  }

  private void followProxyEvents() {
    String url = group.proxyUrl();
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
                group.id(),
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
      case ProxyEvent.StreamBroken b -> send(new StreamBroken(b.agentUrl(), b.vm(), b.reason()));
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

  // ---- failure detection --------------------------------------------------------------------

  private void watchHosts() {
    Group g = group;
    if (g.state() == GroupState.RESTARTING) {
      return; // no VM to watch: the restart checks the host itself
    }
    Duration limit = g.policy().suspectAfter();
    if (g.primary() != null
        && (hosts.lost(g.primary().host())
            || hosts.silence(g.primary().host()).compareTo(limit) > 0)) {
      suspect(
          "primary", "no heartbeat for " + hosts.silence(g.primary().host()).toMillis() + " ms");
    } else if (lonePrimary.silent()) {
      if (vmGone(g.primary())) {
        lonePrimary.answered();
        replicaGone(true, primaryWithoutVm(g.primary()));
        return;
      }
      lonePrimaryAnswers("its heartbeats are back");
    }
    g = group;
    if (g.secondary() != null
        && (hosts.lost(g.secondary().host())
            || hosts.silence(g.secondary().host()).compareTo(limit) > 0)) {
      suspect(
          "secondary",
          "no heartbeat for " + hosts.silence(g.secondary().host()).toMillis() + " ms");
    }
    watchMirror(true, limit);
    watchMirror(false, limit);
  }

  /**
   * A replica's disk mirror that stopped beating is probed; one that does not answer makes its
   * replica lost: a primary whose disk is gone cannot go on (fail over while a secondary exists), a
   * secondary whose disk is gone cannot take over.
   */
  private void watchMirror(boolean primary, Duration limit) {
    Group g = group;
    Replica r = primary ? g.primary() : g.secondary();
    if (r == null
        || r.mirrorUrl() == null
        || g.secondary() == null
        || hosts.mirrorSilence(r.host()).compareTo(limit) <= 0) {
      return;
    }
    Instant now = clock.instant();
    String key = "mirror:" + r.host();
    if (now.isBefore(probedOk.getOrDefault(key, Instant.EPOCH))) {
      return;
    }
    if (mirrors.ready(r.mirrorUrl(), props.probeTimeout())) {
      probedOk.put(key, now.plus(limit));
      return;
    }
    replicaGone(
        primary,
        (primary ? "the primary's" : "the secondary's")
            + " disk mirror on "
            + r.host()
            + " stopped beating and does not answer a probe");
  }

  /** A replica looks gone: probe it, and act if the probe fails too. */
  private void suspect(String which, String reason) {
    Group g = group;
    Replica r = which.startsWith("s") ? g.secondary() : g.primary();
    if (r == null || g.state() == GroupState.RESTARTING) {
      return;
    }
    boolean lost = hosts.lost(r.host());
    Instant now = clock.instant();
    Instant okUntil = probedOk.getOrDefault(r.host(), Instant.EPOCH);
    if (!lost && now.isBefore(okUntil)) {
      return; // probed fine a moment ago: heartbeats are just late
    }
    boolean lonePrimaryOf = r == g.primary() && g.secondary() == null;
    if (!lost && lonePrimaryOf && !lonePrimary.mayProbe(now)) {
      return; // a lone primary that failed a probe a moment ago: the next probe waits
    }
    if (!lost && agents.alive(r.agentUrl(), props.probeTimeout())) {
      if (vmGone(r)) {
        // a restarted agent answers, but its VM died with its predecessor: the replica is lost
        if (lonePrimaryOf) {
          lonePrimary.answered();
        }
        replicaGone(
            r == g.primary(),
            r == g.primary()
                ? primaryWithoutVm(r)
                : "secondary on " + r.host() + " lost: its agent answers without VM " + r.vm());
        return;
      }
      probedOk.put(r.host(), now.plus(g.policy().suspectAfter()));
      if (lonePrimaryOf && lonePrimary.silent()) {
        lonePrimaryAnswers("it answers a probe");
      }
      return;
    }
    if (!lost && lonePrimaryOf && g.state() != GroupState.FAILED) {
      lonePrimarySilent(r, reason + "; probe failed");
      return;
    }
    hostGone(r.host(), (lost ? "host declared lost" : reason + "; probe failed"));
  }

  /** Whether the replica's agent answers that it no longer has the replica's VM. */
  private boolean vmGone(Replica r) {
    return !agents.hasVm(r.agentUrl(), r.vm(), props.probeTimeout());
  }

  private static String primaryWithoutVm(Replica r) {
    return "primary on "
        + r.host()
        + " lost: its agent answers, but no longer has VM "
        + r.vm()
        + " (it was restarted)";
  }

  /**
   * The primary of a group without a secondary is silent and failed a probe. It is the only copy of
   * the service, so the group waits for it (a paused or starved host serves on when it is back) and
   * is FAILED only after lone-primary-patience. A host declared lost, or a primary whose stream at
   * the proxy broke, does not wait: its VM is gone.
   */
  private void lonePrimarySilent(Replica r, String reason) {
    Group g = group;
    Instant now = clock.instant();
    switch (lonePrimary.probeFailed(now, g.policy().suspectAfter(), g.reason())) {
      case NEWLY_SILENT -> {
        String detail =
            "primary on "
                + r.host()
                + " does not answer ("
                + reason
                + "); it is the only copy of the service: waiting up to "
                + lonePrimary.patience().toSeconds()
                + " s for it";
        log.warn("group {}: {}", g.id(), detail);
        group = ops.save(g.with(g.state(), detail), "primary-unreachable", detail);
      }
      case WAIT -> {}
      case GIVE_UP -> {
        String since = String.valueOf(lonePrimary.silentSince());
        lonePrimary.answered();
        // its host does not answer, and its volume is on that host: nothing to restart from
        String why =
            "primary on "
                + r.host()
                + " lost: "
                + reason
                + "; silent since "
                + since
                + ", longer than lone-primary-patience ("
                + lonePrimary.patience().toSeconds()
                + " s)";
        group = ops.save(g.with(GroupState.FAILED, why + " (no synced secondary)"), "failed", why);
      }
    }
  }

  /** The lone primary that was silent answers again: the group goes on as it was. */
  private void lonePrimaryAnswers(String how) {
    Group g = group;
    Instant since = lonePrimary.silentSince();
    String before = lonePrimary.answered();
    if (g.state() == GroupState.FAILED || g.primary() == null) {
      return;
    }
    String detail =
        "primary on "
            + g.primary().host()
            + " is back ("
            + how
            + ") after "
            + Duration.between(since, clock.instant()).toMillis()
            + " ms of silence";
    log.info("group {}: {}", g.id(), detail);
    group = ops.save(g.with(g.state(), before), "primary-reachable", detail);
  }

  /**
   * The proxy can no longer serve a current replica (its stream broke, or its guest crashed): for
   * the service that replica is gone, whether its agent still answers or not.
   */
  private void streamBroken(StreamBroken b) {
    Group g = group;
    if (g.primary() != null
        && g.primary().agentUrl().equals(b.agentUrl())
        && g.primary().vm().equals(b.vm())) {
      replicaGone(true, "the proxy lost the primary: " + b.reason());
    } else if (g.secondary() != null
        && g.secondary().agentUrl().equals(b.agentUrl())
        && g.secondary().vm().equals(b.vm())) {
      replicaGone(false, "the proxy lost the secondary: " + b.reason());
    }
  }

  private void hostGone(String host, String reason) {
    Group g = group;
    if (g.primary() != null && g.primary().host().equals(host)) {
      replicaGone(true, "primary on " + host + " lost: " + reason);
    } else if (g.secondary() != null && g.secondary().host().equals(host)) {
      replicaGone(false, "secondary on " + host + " lost: " + reason);
    }
  }

  private void replicaGone(boolean primary, String reason) {
    Group g = group;
    if (g.state() == GroupState.RESTARTING) {
      return; // both are gone already: the restart from the volume is under way
    }
    if (primary) {
      if (g.state() == GroupState.PROTECTED
          || g.state() == GroupState.FAILING_OVER
          || (g.state() == GroupState.UNSERVED && g.secondary() != null)) {
        failover(reason);
      } else if (g.state() != GroupState.FAILED) {
        bothLost(reason);
      }
    } else if (g.state() == GroupState.FAILING_OVER) {
      // the secondary being promoted is gone too
      bothLost(reason + "; the primary was lost already: " + g.reason());
    } else {
      group = ops.secondaryLost(g, reason);
      nextReprotect = clock.instant().plus(props.reprotectDelay());
    }
  }

  /**
   * Fails over to the secondary; if the promotion fails because the secondary is gone too (its
   * agent does not answer, or answers without the VM), both replicas are lost.
   */
  private void failover(String reason) {
    try {
      group = ops.failover(group, reason);
      nextReprotect = clock.instant().plus(props.reprotectDelay());
    } catch (RuntimeException e) {
      Group stored = ops.stored(group);
      Replica s = stored.secondary();
      if (stored.state() != GroupState.FAILING_OVER
          || s == null
          || (agents.alive(s.agentUrl(), props.probeTimeout()) && !vmGone(s))) {
        throw e; // the secondary is there: the failover is tried again
      }
      group = stored;
      bothLost(
          reason
              + "; the secondary on "
              + s.host()
              + " could not be promoted, it is gone too ("
              + e.getMessage()
              + ")");
    }
  }

  /** Neither replica's VM is left: restart from the last primary's volume, or FAILED. */
  private void bothLost(String reason) {
    group = ops.bothLost(group, reason);
    restartingSince = null;
    restartBackoff.reset();
    nextRestart = clock.instant();
  }

  private static void sleepQuietly(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
