package dev.coloha.coordinator.decision;

import dev.coloha.api.ErrorKind;
import dev.coloha.coordinator.decision.Action.BothLost;
import dev.coloha.coordinator.decision.Action.CleanOrphans;
import dev.coloha.coordinator.decision.Action.Commit;
import dev.coloha.coordinator.decision.Action.CountCheckpointFailure;
import dev.coloha.coordinator.decision.Action.DropSecondary;
import dev.coloha.coordinator.decision.Action.FailOver;
import dev.coloha.coordinator.decision.Action.Follow;
import dev.coloha.coordinator.decision.Action.Persist;
import dev.coloha.coordinator.decision.Action.Probe;
import dev.coloha.coordinator.decision.Action.ProbeMirrors;
import dev.coloha.coordinator.decision.Action.Protect;
import dev.coloha.coordinator.decision.Action.Publish;
import dev.coloha.coordinator.decision.Action.Reprotect;
import dev.coloha.coordinator.decision.Action.ResetRestoreBackoff;
import dev.coloha.coordinator.decision.Action.RestartFromVolume;
import dev.coloha.coordinator.decision.Action.RestoreProxy;
import dev.coloha.coordinator.decision.Signal.CheckpointAcked;
import dev.coloha.coordinator.decision.Signal.CheckpointCommitted;
import dev.coloha.coordinator.decision.Signal.CheckpointFailed;
import dev.coloha.coordinator.decision.Signal.CheckpointFailureReview;
import dev.coloha.coordinator.decision.Signal.CheckpointFailureReview.Stage;
import dev.coloha.coordinator.decision.Signal.HostLost;
import dev.coloha.coordinator.decision.Signal.HostSilent;
import dev.coloha.coordinator.decision.Signal.LonePrimaryAnswers;
import dev.coloha.coordinator.decision.Signal.LonePrimaryUnanswered;
import dev.coloha.coordinator.decision.Signal.MirrorsProbed;
import dev.coloha.coordinator.decision.Signal.Mismatch;
import dev.coloha.coordinator.decision.Signal.PolicyChanged;
import dev.coloha.coordinator.decision.Signal.Pressure;
import dev.coloha.coordinator.decision.Signal.ProbeFailed;
import dev.coloha.coordinator.decision.Signal.PromotionFailed;
import dev.coloha.coordinator.decision.Signal.ProtectFailed;
import dev.coloha.coordinator.decision.Signal.ProxyMoved;
import dev.coloha.coordinator.decision.Signal.ProxyReRegistered;
import dev.coloha.coordinator.decision.Signal.ProxyRestored;
import dev.coloha.coordinator.decision.Signal.ProxyUnserved;
import dev.coloha.coordinator.decision.Signal.RestartWaits;
import dev.coloha.coordinator.decision.Signal.SelfCheckpointed;
import dev.coloha.coordinator.decision.Signal.StreamBroken;
import dev.coloha.coordinator.decision.Signal.Suspect;
import dev.coloha.coordinator.decision.Signal.Tick;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Replica;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The coordinator's decisions on one group as a pure function: {@code decide(situation, signal)}
 * gives the next situation and the actions to run (docs/coordinator.md, "Decisions": the transition
 * table, one row per case below). No I/O, no clock: time comes in the signal. The executor (the
 * group package's {@code GroupExecutor}) runs the actions and feeds their outcomes back as signals.
 * What a group waits out before giving up is decided in {@link WaitDecisions}.
 *
 * <p>Over 400 lines on purpose: one method per signal of the transition table, each a few lines of
 * pure code with its row's reason; splitting them by signal would scatter the table that
 * docs/coordinator.md reads as one (its tests, the {@code *DecisionsTest} classes, are one per kind
 * of decision).
 */
public final class GroupDecisions {
  private GroupDecisions() {}

  /**
   * The settings decisions depend on.
   *
   * @param maxCheckpointFailures checkpoints that may fail in a row, both replicas answering,
   *     before the secondary is dropped
   * @param lonePrimaryPatience how long a silent primary without a secondary, or a RESTARTING group
   *     whose volume's host does not answer, is waited for before the group is FAILED
   * @param createAttempts failed attempts at placing and starting a new group before it is FAILED
   *     (once {@code createTimeout} has passed too)
   * @param createTimeout time a new group may take to be placed and started before it is FAILED
   */
  public record Limits(
      int maxCheckpointFailures,
      Duration lonePrimaryPatience,
      int createAttempts,
      Duration createTimeout) {
    public Limits {
      if (lonePrimaryPatience == null || lonePrimaryPatience.isNegative()) {
        throw new IllegalArgumentException("lone-primary-patience must be zero or more");
      }
    }

    /** The configuration's defaults but for {@code maxCheckpointFailures}. */
    public Limits(int maxCheckpointFailures) {
      this(maxCheckpointFailures, Duration.ofMinutes(5), 10, Duration.ofMinutes(2));
    }
  }

  public static Decision decide(Situation s, Signal signal, Limits limits) {
    Group g = s.group();
    return switch (signal) {
      case Mismatch m ->
          Decision.stay(
              s.withGroup(g.withCounters(g.counters().mismatch()))
                  .withWanted(s.wantedReason() == null ? m.kind() : s.wantedReason()));
      case Pressure p ->
          Decision.stay(s.withWanted(s.wantedReason() == null ? p.kind() : s.wantedReason()));
      case SelfCheckpointed sc ->
          // the requests that arrived before it (the stream keeps their order) are answered: a
          // checkpoint of ours now would be a second one for them
          sc.epoch() == g.epoch() && s.wantedReason() != null
              ? Decision.stay(s.withWanted(null))
              : Decision.stay(s);
      case PolicyChanged pc -> {
        Group changed = g.withPolicy(pc.policy());
        Situation next = s.withGroup(changed);
        if (changed.primary() != null
            && changed.proxyUrl() != null
            && changed.state() == GroupState.PROTECTED
            && s.wantedReason() == null) {
          // the proxy takes the new compare timeout with its next configuration
          next = next.withWanted("policy");
        }
        yield Decision.of(next, new Persist("policy", pc.policy().toString()));
      }
      case ProxyReRegistered b ->
          g.state() == GroupState.UNSERVED && b.url().equals(g.proxyUrl())
              ? Decision.stay(s.withNextRestore(b.at())) // it answers: no need to wait
              : Decision.stay(s);
      case ProxyMoved m -> proxyMoved(s, m);
      case ProxyUnserved u ->
          u.seen().isBefore(s.servedSince()) ? Decision.stay(s) : unserved(s, u.reason(), u.at());
      case ProxyRestored r -> Decision.stay(s.withFailedInARow(0));
      case StreamBroken b -> {
        if (is(g.primary(), b.agentUrl(), b.vm())) {
          yield replicaLost(s, Role.PRIMARY, "the proxy lost the primary: " + b.reason());
        } else if (is(g.secondary(), b.agentUrl(), b.vm())) {
          yield replicaLost(s, Role.SECONDARY, "the proxy lost the secondary: " + b.reason());
        }
        yield Decision.stay(s);
      }
      case HostLost h -> hostLost(s, h.host(), h.reason());
      case HostSilent h -> {
        Replica r = h.role() == Role.PRIMARY ? g.primary() : g.secondary();
        yield r == null || g.state() == GroupState.RESTARTING
            ? Decision.stay(s)
            : Decision.of(s, new Probe(h.role(), h.reason()));
      }
      case ProbeFailed p ->
          // a primary found without its VM ends the wait for a silent lone primary too
          replicaLost(
              p.role() == Role.PRIMARY ? s.withWaits(s.waits().withLonePrimary(null)) : s,
              p.role(),
              p.reason());
      case LonePrimaryUnanswered u ->
          WaitDecisions.lonePrimaryUnanswered(s, u, limits.lonePrimaryPatience());
      case LonePrimaryAnswers a -> WaitDecisions.lonePrimaryAnswers(s, a);
      case RestartWaits w -> WaitDecisions.restartWaits(s, w.at(), limits.lonePrimaryPatience());
      case ProtectFailed f -> WaitDecisions.protectFailed(s, f, limits);
      case PromotionFailed p -> Decision.of(s, new BothLost(p.reason()));
      case CheckpointAcked a ->
          a.epoch() == g.epoch() && g.state() == GroupState.PROTECTED
              ? Decision.of(s, new Commit(a.epoch(), a.sequence()))
              : Decision.stay(s); // no commit but of an acknowledged checkpoint of this epoch
      case CheckpointCommitted c -> Decision.stay(s.withFailedInARow(0));
      case CheckpointFailed f -> checkpointFailed(s, f);
      case CheckpointFailureReview r -> review(s, r, limits);
      case MirrorsProbed m -> primaryDiskFailed(s, m, limits);
      case Tick t -> tick(s, t.now());
    };
  }

  private static boolean is(Replica r, String agentUrl, String vm) {
    return r != null && r.agentUrl().equals(agentUrl) && r.vm().equals(vm);
  }

  /** The proxy does not serve the group: UNSERVED (persisted once), restored when it answers. */
  private static Decision unserved(Situation s, String reason, Instant at) {
    Group g = s.group();
    if (g.state() != GroupState.PROTECTED && g.state() != GroupState.DEGRADED) {
      return Decision.stay(s);
    }
    return Decision.of(
        s.withGroup(g.with(GroupState.UNSERVED, reason)).withNextRestore(at),
        new Persist("proxy-lost-group", reason),
        new ResetRestoreBackoff());
  }

  /**
   * The group's proxy beats from another address (its warm standby took over): the group moves to
   * it. Served before, it is UNSERVED now (the proxy there knows no group) and restored at once, as
   * for a restarted proxy; UNSERVED already, the restore is due now; in any other state only the
   * address changes (what runs gives the proxy the group when it is done).
   */
  private static Decision proxyMoved(Situation s, ProxyMoved m) {
    Group g = s.group();
    if (!m.from().equals(g.proxyUrl()) || m.to().equals(g.proxyUrl())) {
      return Decision.stay(s);
    }
    String reason =
        "the proxy moved from " + m.from() + " to " + m.to() + " (its standby took over)";
    Group moved = g.withProxy(m.to());
    return switch (g.state()) {
      case PROTECTED, DEGRADED ->
          Decision.of(
              s.withGroup(moved.with(GroupState.UNSERVED, reason)).withNextRestore(m.at()),
              new Persist("proxy-moved", reason),
              new ResetRestoreBackoff());
      case UNSERVED ->
          Decision.of(
              s.withGroup(moved).withNextRestore(m.at()),
              new Persist("proxy-moved", reason),
              new ResetRestoreBackoff());
      default -> Decision.of(s.withGroup(moved), new Persist("proxy-moved", reason));
    };
  }

  private static Decision hostLost(Situation s, String host, String reason) {
    Group g = s.group();
    if (g.primary() != null && g.primary().host().equals(host)) {
      return replicaLost(s, Role.PRIMARY, "primary on " + host + " lost: " + reason);
    } else if (g.secondary() != null && g.secondary().host().equals(host)) {
      return replicaLost(s, Role.SECONDARY, "secondary on " + host + " lost: " + reason);
    }
    return Decision.stay(s);
  }

  /**
   * A replica is gone. A primary: fail over while a secondary can take over, else both are lost. A
   * secondary: dropped (a new epoch with the primary alone), or, while a failover promotes it, both
   * are lost.
   */
  static Decision replicaLost(Situation s, Role role, String reason) {
    Group g = s.group();
    GroupState st = g.state();
    if (st == GroupState.RESTARTING) {
      return Decision.stay(s); // both are gone already: the restart from the volume is under way
    }
    if (role == Role.PRIMARY) {
      if (st == GroupState.PROTECTED
          || st == GroupState.FAILING_OVER
          || (st == GroupState.UNSERVED && g.secondary() != null)) {
        return Decision.of(s, new FailOver(reason, false));
      }
      return st == GroupState.FAILED ? Decision.stay(s) : Decision.of(s, new BothLost(reason));
    }
    if (st == GroupState.FAILING_OVER) {
      // the secondary being promoted is gone too
      return Decision.of(s, new BothLost(reason + "; the primary was lost already: " + g.reason()));
    }
    return g.secondary() == null
        ? Decision.stay(s)
        : Decision.of(s, new DropSecondary(reason, false));
  }

  private static Decision checkpointFailed(Situation s, CheckpointFailed f) {
    Group g = s.group();
    if (f.cause().proxy()) {
      // the replicas did their part: the proxy needs the group again (or is down). Not a
      // replica's failure: nothing is counted against them
      Decision d = unserved(s, "checkpoint commit failed: " + f.message(), f.at());
      List<Action> actions = new ArrayList<>();
      actions.add(new CountCheckpointFailure("proxy"));
      actions.addAll(d.actions());
      return new Decision(d.next(), actions);
    }
    Group counted = g.withCounters(g.counters().checkpointFailure());
    return Decision.of(
        s.withFailedInARow(s.failedInARow() + 1).withGroup(counted),
        new CountCheckpointFailure(f.problem().label()),
        new Publish("checkpoint-failed", f.message()),
        // find out which side is the problem
        new Follow(new HostSilent(Role.PRIMARY, "checkpoint failed: " + f.message())),
        new Follow(new CheckpointFailureReview(Stage.PROBE_SECONDARY, f)));
  }

  private static Decision review(Situation s, CheckpointFailureReview r, Limits limits) {
    Group g = s.group();
    CheckpointFailed f = r.failure();
    boolean protectedNow = g.state() == GroupState.PROTECTED;
    Follow settle = new Follow(new CheckpointFailureReview(Stage.SETTLE, f));
    return switch (r.stage()) {
      case PROBE_SECONDARY ->
          protectedNow
              ? Decision.of(
                  s,
                  new Follow(new HostSilent(Role.SECONDARY, "checkpoint failed: " + f.message())),
                  new Follow(new CheckpointFailureReview(Stage.VERDICT, f)))
              : Decision.of(s, new Follow(new CheckpointFailureReview(Stage.VERDICT, f)));
      case VERDICT -> {
        if (!protectedNow) {
          yield Decision.of(s, settle);
        } else if (f.cause() == Cause.PRIMARY_DISK) {
          yield Decision.of(s, new ProbeMirrors(f.message()), settle);
        } else if (f.problem().is(ErrorKind.RESYNC_REQUIRED)) {
          yield Decision.of(
              s,
              new DropSecondary("it lost the checkpoint chain (" + f.message() + ")", true),
              settle);
        } else if (primaryCannotReachSecondary(f.cause(), f.problem())) {
          // both answer us, but not each other (a partition between their hosts, or a secondary
          // too slow to acknowledge): the proxy would hold the primary's output for as long as
          // the partition lasts. Carry on with the primary alone in a new epoch (fencing the
          // secondary), re-protect later.
          // a primary whose own disk mirror died after the checkpoint's barrier answers the same
          // (its writes never reach the secondary's mirror): the mirrors are probed first, and a
          // dead primary mirror is a lost primary, not a lost secondary
          yield Decision.of(s, new ProbeMirrors(f.message(), Suspect.SECONDARY_LINK), settle);
        } else if (s.failedInARow() >= limits.maxCheckpointFailures()) {
          // both answer, yet checkpoints fail: the primary keeps the service, the secondary is
          // fenced by the new epoch
          yield Decision.of(
              s,
              new DropSecondary(
                  s.failedInARow()
                      + " checkpoints in a row failed with both replicas up: "
                      + f.message(),
                  false),
              settle);
        }
        yield Decision.of(s, settle);
      }
      case SETTLE -> protectedNow ? Decision.stay(s) : Decision.stay(s.withFailedInARow(0));
    };
  }

  /**
   * Whether a failed checkpoint says that the primary, which answered, has no working link to its
   * secondary: {@code timeout} (no acknowledgement in time) or {@code unavailable} (the link is
   * broken and reconnecting failed).
   */
  public static boolean primaryCannotReachSecondary(Cause cause, CheckpointProblem problem) {
    return cause == Cause.SECONDARY
        && (problem.is(ErrorKind.TIMEOUT) || problem.is(ErrorKind.UNAVAILABLE));
  }

  /**
   * The primary's checkpoint failed on its own disk. If its mirror does not answer, the primary is
   * lost (its replies made by the failing disk differ from the secondary's: the proxy holds them
   * and the failover drops them). If its mirror answers, the barrier may have failed on the way to
   * the secondary's mirror: a secondary mirror that does not answer is a lost secondary; else the
   * failure is counted, and after max-checkpoint-failures the primary is the one lost.
   */
  private static Decision primaryDiskFailed(Situation s, MirrorsProbed m, Limits limits) {
    if (m.primaryMirrorDown()) {
      return replicaLost(
          s, Role.PRIMARY, "the primary's disk mirror does not answer: " + m.message());
    } else if (m.secondaryMirrorDown()) {
      return replicaLost(
          s, Role.SECONDARY, "the secondary's disk mirror does not answer: " + m.message());
    } else if (m.suspect() == Suspect.SECONDARY_LINK) {
      // both mirrors answer: both replicas answer us, but not each other (a partition between
      // their hosts, or a secondary too slow to acknowledge): the proxy would hold the primary's
      // output for as long as the partition lasts. Carry on with the primary alone in a new epoch
      // (fencing the secondary), re-protect later.
      return s.group().state() == GroupState.PROTECTED && s.group().secondary() != null
          ? Decision.of(
              s,
              new DropSecondary("the primary cannot replicate to it (" + m.message() + ")", false))
          : Decision.stay(s);
    } else if (s.failedInARow() >= limits.maxCheckpointFailures()) {
      return replicaLost(
          s, Role.PRIMARY, s.failedInARow() + " checkpoints in a row failed on the primary's disk");
    }
    return Decision.stay(s);
  }

  /** What is due at {@code now}; old replicas are cleaned up at every turn. */
  private static Decision tick(Situation s, Instant now) {
    Group g = s.group();
    CleanOrphans clean = new CleanOrphans();
    switch (g.state()) {
      case PROTECTED -> {
        boolean rateOk =
            Duration.between(s.lastAttempt(), now).compareTo(g.policy().minInterval()) >= 0;
        Instant last = g.lastCheckpointAt() == null ? Instant.EPOCH : g.lastCheckpointAt();
        if (s.wantedReason() != null && rateOk) {
          return Decision.of(
              s.withWanted(null).withLastAttempt(now),
              new Action.Checkpoint(s.wantedReason()),
              clean);
        }
        if (rateOk && Duration.between(last, now).compareTo(g.policy().maxInterval()) >= 0) {
          return Decision.of(s.withLastAttempt(now), new Action.Checkpoint("interval"), clean);
        }
      }
      case CREATING, SYNCING -> {
        if (!now.isBefore(s.nextReprotect())) {
          return Decision.of(s, new Protect(), clean);
        }
      }
      case UNSERVED -> {
        if (!now.isBefore(s.nextRestore())) {
          return Decision.of(s, new RestoreProxy(), clean);
        }
      }
      case RESTARTING -> {
        if (!now.isBefore(s.nextRestart())) {
          // the patience counts from when RESTARTING began as persisted: a coordinator restart
          // does not extend it
          Instant since =
              s.waits().restartingSince() != null
                  ? s.waits().restartingSince()
                  : g.since() != null ? g.since() : now;
          return Decision.of(
              s.withWaits(s.waits().withRestartingSince(since)), new RestartFromVolume(), clean);
        }
      }
      case FAILING_OVER -> {
        // a failover whose promotion failed (the secondary's agent busy, or gone too: then both
        // are lost) is tried again in its persisted epoch, with backoff
        if (!now.isBefore(s.nextReprotect())) {
          return Decision.of(
              s, new FailOver(g.reason() == null ? "failover resumed" : g.reason(), true), clean);
        }
      }
      case DEGRADED -> {
        if (g.primary() != null && !now.isBefore(s.nextReprotect())) {
          return Decision.of(s, new Reprotect(), clean);
        }
      }
      default -> {}
    }
    return Decision.of(s, clean);
  }
}
