package dev.coloha.coordinator.group;

import dev.coloha.api.agent.CheckpointResult;
import dev.coloha.coordinator.decision.Action;
import dev.coloha.coordinator.decision.Cause;
import dev.coloha.coordinator.decision.CheckpointProblem;
import dev.coloha.coordinator.decision.Decision;
import dev.coloha.coordinator.decision.GroupDecisions;
import dev.coloha.coordinator.decision.Signal;
import dev.coloha.coordinator.decision.Situation;
import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.events.GroupEvents;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.remote.RemoteException;
import dev.coloha.coordinator.remote.UnreachableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the decision machine ({@link GroupDecisions}) for one group: hands it each {@link Signal},
 * keeps the {@link Situation} it returns, and runs the {@link Action}s it asks for with the group's
 * operations (agents, mirrors, proxy, store, history), feeding their outcomes back as signals. Owns
 * the retry backoffs (they draw jitter) and the checkpoint captured but not yet committed. Used by
 * the group's worker thread only.
 *
 * <p>Over 400 lines on purpose: one short case per {@link Action} kind (the sealed switch), plus
 * the checkpoint's capture and commit with the broken streams that may cut its wait short; the
 * steps themselves live in the group's operations ({@code Checkpoints}, {@code Pairing}, {@code
 * Recovery}).
 */
final class GroupExecutor {
  private static final Logger log = LoggerFactory.getLogger(GroupExecutor.class);

  private final GroupOperations ops;
  private final GroupEvents events;
  private final CoordinatorMetrics metrics;
  private final CoordinatorSettings props;
  private final Clock clock;
  private final GroupDecisions.Limits limits;
  private final Backoff reprotectBackoff;
  private final Backoff restoreBackoff;
  private final Backoff restartBackoff;
  private volatile Situation situation;
  private HostWatch watch;

  /**
   * Replica streams the proxy reported broken that the machine has not decided on yet: added by the
   * proxy's event stream as the event arrives (its command waits in the worker's inbox), looked at
   * while a checkpoint waits for the primary's answer, removed once decided.
   */
  private final Set<Signal.StreamBroken> brokenStreams = ConcurrentHashMap.newKeySet();

  /** The checkpoint captured and acknowledged, waiting for its commit. */
  private CheckpointResult held;

  private String heldReason;
  private long heldSince;

  GroupExecutor(
      Group group,
      GroupOperations ops,
      GroupEvents events,
      CoordinatorMetrics metrics,
      CoordinatorSettings props,
      Clock clock) {
    this.situation = Situation.of(group);
    this.ops = ops;
    this.events = events;
    this.metrics = metrics;
    this.props = props;
    this.clock = clock;
    this.limits =
        props == null
            ? new GroupDecisions.Limits(3)
            : new GroupDecisions.Limits(
                props.maxCheckpointFailures(),
                props.lonePrimaryPatience(),
                props.createAttempts(),
                props.createTimeout());
    Duration base = props == null ? Duration.ofSeconds(1) : props.reprotectDelay();
    CoordinatorSettings.Retry retry =
        props == null ? CoordinatorSettings.Retry.defaults() : props.retry();
    String id = group.id();
    this.reprotectBackoff =
        new Backoff(
            "reprotect-" + id,
            base,
            retry.reprotectMaxDelay(base),
            retry.multiplier(),
            retry.jitter());
    this.restoreBackoff =
        new Backoff(
            "proxy-restore-" + id,
            retry.restoreDelay(),
            retry.restoreMaxDelay(),
            retry.multiplier(),
            retry.jitter());
    this.restartBackoff =
        new Backoff(
            "restart-" + id,
            base,
            retry.reprotectMaxDelay(base),
            retry.multiplier(),
            retry.jitter());
  }

  void watchWith(HostWatch w) {
    this.watch = w;
  }

  Group group() {
    return situation.group();
  }

  /** What the machine decides on now (the host watch asks it whether a lone primary waits). */
  Situation situation() {
    return situation;
  }

  /** The group as it is now known (after a step persisted something, or failed half-way). */
  void replace(Group g) {
    situation = situation.withGroup(g);
  }

  /** Decides {@code s} and runs what the decision asks for, in order. */
  void signal(Signal s) {
    Decision d = GroupDecisions.decide(situation, s, limits);
    situation = d.next();
    for (Action a : d.actions()) {
      run(a);
    }
  }

  private void run(Action a) {
    switch (a) {
      case Action.Checkpoint c -> capture(c.reason());
      case Action.Commit c -> commit(c);
      case Action.FailOver f -> failover(f.reason(), f.resumed());
      case Action.DropSecondary d -> {
        replace(ops.secondaryLost(group(), d.reason()));
        Instant now = clock.instant();
        schedule(d.reprotectAtOnce() ? now : now.plus(props.reprotectDelay()));
      }
      case Action.BothLost b -> {
        replace(ops.bothLost(group(), b.reason()));
        restartBackoff.reset();
        situation =
            situation
                .withNextRestart(clock.instant())
                .withWaits(situation.waits().withRestartingSince(null));
      }
      case Action.Protect p -> protect();
      case Action.Reprotect r -> reprotect();
      case Action.RestoreProxy r -> restoreProxy();
      case Action.RestartFromVolume r -> restartFromVolume();
      case Action.ScheduleRestart r ->
          situation = situation.withNextRestart(r.from().plus(restartBackoff.next()));
      case Action.CleanOrphans c -> replace(ops.cleanOrphans(group()));
      case Action.Probe p -> watch.probe(p.role(), p.reason());
      case Action.ProbeMirrors p -> watch.probeMirrors(p.message(), p.suspect());
      case Action.Persist p -> {
        log.info("group {}: {}: {}", group().id(), p.kind(), p.detail());
        replace(ops.save(group(), p.kind(), p.detail()));
      }
      case Action.Publish p -> {
        Group g = group();
        events.publish(
            new GroupEvent(
                clock.instant(), g.id(), p.kind(), g.epoch(), g.state().name(), p.detail()));
      }
      case Action.CountCheckpointFailure c -> metrics.checkpointFailed(group().id(), c.why());
      case Action.ResetRestoreBackoff r -> restoreBackoff.reset();
      case Action.Follow f -> signal(f.signal());
    }
  }

  private void schedule(Instant nextReprotect) {
    situation = situation.withNextReprotect(nextReprotect);
  }

  // ---- checkpoints --------------------------------------------------------------------------

  /**
   * The proxy's stream to a replica broke (reported on the event stream's thread as it arrives): a
   * checkpoint waiting for the primary's answer gives up at once ({@link #capture}), before the
   * command reaches the worker.
   */
  void streamBrokenReported(Signal.StreamBroken b) {
    brokenStreams.add(b);
  }

  /** Decides a broken replica stream the proxy reported (once: it is no longer pending). */
  void streamBroken(Signal.StreamBroken b) {
    brokenStreams.remove(b);
    signal(b);
  }

  /** A stream of one of {@code g}'s replicas that the proxy reported broken, or null. */
  private Signal.StreamBroken brokenStreamOf(Group g) {
    for (Signal.StreamBroken b : brokenStreams) {
      if (isReplica(g.primary(), b) || isReplica(g.secondary(), b)) {
        return b;
      }
    }
    return null;
  }

  private static boolean isReplica(Replica r, Signal.StreamBroken b) {
    return r != null && r.agentUrl().equals(b.agentUrl()) && r.vm().equals(b.vm());
  }

  /**
   * Captures a checkpoint at the primary. The wait for its answer is given up when the proxy
   * reports a replica's stream broken meanwhile: the replica is gone (a dead secondary makes the
   * primary answer only after its reconnects and the calls' retries failed), and the machine
   * decides on the broken stream at once instead of on the checkpoint's failure.
   */
  private void capture(String reason) {
    Group g = group();
    held = null;
    long t0 = System.nanoTime();
    CheckpointResult c;
    BooleanSupplier primaryGone = watch.primaryGone(g.primary());
    try {
      c =
          ops.checkpoints()
              .capture(g, () -> brokenStreamOf(g) != null || primaryGone.getAsBoolean());
    } catch (RuntimeException e) {
      Signal.StreamBroken broken = brokenStreamOf(g);
      if (broken != null) {
        log.info(
            "group {}: checkpoint given up after {} ms: the proxy lost the stream of {} at {}",
            g.id(),
            (System.nanoTime() - t0) / 1_000_000,
            broken.vm(),
            broken.agentUrl());
        streamBroken(broken);
        return;
      }
      signal(failed(e));
      return;
    }
    held = c;
    heldReason = reason;
    heldSince = t0;
    signal(new Signal.CheckpointAcked(g.epoch(), c.sequence()));
  }

  private void commit(Action.Commit commit) {
    CheckpointResult c = held;
    held = null;
    if (c == null || c.sequence() != commit.sequence()) {
      return; // nothing acknowledged under that number
    }
    try {
      replace(ops.checkpoints().commit(group(), heldReason, c, heldSince));
    } catch (RuntimeException e) {
      signal(failed(e));
      return;
    }
    signal(new Signal.CheckpointCommitted(commit.epoch(), commit.sequence()));
  }

  /** A failed checkpoint, attributed ({@link FailureAttribution}). */
  private Signal.CheckpointFailed failed(RuntimeException e) {
    Cause cause = Cause.valueOf(FailureAttribution.of(e, group()).name());
    CheckpointProblem problem =
        e instanceof RemoteException r
            ? CheckpointProblem.answered(r.problem())
            : e instanceof UnreachableException
                ? CheckpointProblem.UNREACHABLE
                : CheckpointProblem.LOCAL_ERROR;
    return new Signal.CheckpointFailed(cause, problem, e.getMessage(), clock.instant());
  }

  /** A checkpoint asked through the API: its failure is the caller's answer, nothing follows. */
  Group checkpointNow(String reason) {
    Group g = group();
    replace(ops.checkpoints().checkpoint(g, reason, watch.primaryGone(g.primary())));
    return group();
  }

  // ---- failover, creation, re-protection, restarts ----------------------------------------

  /**
   * Fails over to the secondary; if the promotion fails because the secondary is gone too (its
   * agent does not answer, or answers without the VM), both replicas are lost.
   */
  private void failover(String reason, boolean resumed) {
    if (resumed) {
      schedule(clock.instant().plus(reprotectBackoff.next()));
    }
    try {
      failoverNow(reason);
    } catch (RuntimeException e) {
      Group stored = ops.stored(group());
      Replica s = stored.secondary();
      if (stored.state() != GroupState.FAILING_OVER || s == null || watch.answersWithVm(s)) {
        throw e; // the secondary is there: the failover is tried again
      }
      replace(stored);
      signal(
          new Signal.PromotionFailed(
              reason
                  + "; the secondary on "
                  + s.host()
                  + " could not be promoted, it is gone too ("
                  + e.getMessage()
                  + ")"));
    }
  }

  /** Fails over at once (the API's failover, or the machine's): re-protection after the delay. */
  Group failoverNow(String reason) {
    replace(ops.failover(group(), reason));
    schedule(clock.instant().plus(props.reprotectDelay()));
    return group();
  }

  private void protect() {
    try {
      Instant asked = clock.instant();
      replace(ops.protect(group()));
      situation = situation.withServedSince(asked);
    } catch (RuntimeException e) {
      protectFailed(e);
    }
  }

  private void reprotect() {
    Instant now = clock.instant();
    replace(ops.reprotect(group()));
    if (group().state() == GroupState.PROTECTED) {
      situation = situation.withServedSince(now);
    }
    // a failed attempt (the group is still DEGRADED) waits longer each time, with jitter, so that
    // retries neither hammer a loaded host nor move in lock-step with other groups
    schedule(
        group().state() == GroupState.DEGRADED
            ? now.plus(reprotectBackoff.next())
            : now.plus(reprotectBackoff.reset()));
  }

  /** Picks up where a coordinator restart (or a new group) left the group. */
  void resume() {
    Group g = group();
    try {
      replace(
          switch (g.state()) {
            case CREATING, SYNCING -> ops.protect(g);
            case FAILING_OVER -> ops.failover(g, "resumed after a coordinator restart");
            case REPROTECTING -> ops.reprotect(Recovery.interruptedPairing(g));
            case PROTECTED -> watch.reconcileProtected(g);
            case DEGRADED -> ops.reconcileDegraded(g);
            default -> g; // UNSERVED, RESTARTING: the periodic part restores or restarts it
          });
    } catch (RuntimeException e) {
      protectFailed(e);
    }
  }

  /**
   * Creation or pairing failed (a timeout on a loaded host, a host that went away): the group keeps
   * its state and the worker tries again after reprotect-delay; every step is idempotent. The step
   * may have persisted progress this copy lacks (above all the placement): the stored group is the
   * truth, or a retry would place the group anew and a FAILED group would forget its replicas. The
   * machine decides whether a new group gives up ({@link Signal.ProtectFailed}).
   */
  private void protectFailed(RuntimeException e) {
    replace(ops.stored(group()));
    Group g = group();
    log.warn("group {}: could not resume {} yet: {}", g.id(), g.state(), e.getMessage());
    schedule(clock.instant().plus(props.reprotectDelay()));
    signal(new Signal.ProtectFailed(e.getMessage(), clock.instant()));
  }

  /**
   * Both replicas died, the last primary's volume is kept: start the new primary from it as soon as
   * its host's agent and mirror answer (with backoff); the machine gives up after
   * lone-primary-patience ({@link Signal.RestartWaits}).
   */
  private void restartFromVolume() {
    Instant now = clock.instant();
    try {
      replace(ops.restartFromVolume(group()));
    } catch (RuntimeException e) {
      replace(ops.stored(group()));
      log.warn("group {}: restart from its volume failed: {}", group().id(), e.getMessage());
    }
    if (group().state() != GroupState.RESTARTING) {
      restartBackoff.reset();
      situation =
          situation
              .withServedSince(clock.instant())
              .withWaits(situation.waits().withRestartingSince(null));
      schedule(clock.instant().plus(props.reprotectDelay()));
      return;
    }
    signal(new Signal.RestartWaits(now));
  }

  private void restoreProxy() {
    try {
      replace(ops.restoreProxy(group()));
      // from when the restore is done: a 404 the event stream met while the proxy was still being
      // given the group (a request made before its PUT) is stale, not a new loss
      situation = situation.withServedSince(clock.instant());
      restoreBackoff.reset();
      signal(new Signal.ProxyRestored());
    } catch (RuntimeException e) {
      Duration wait = restoreBackoff.next();
      situation = situation.withNextRestore(clock.instant().plus(wait));
      log.info(
          "group {}: the proxy cannot serve it yet ({}); again in {} ms",
          group().id(),
          e.getMessage(),
          wait.toMillis());
    }
  }
}
