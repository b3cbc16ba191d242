package dev.coloha.coordinator.decision;

import dev.coloha.coordinator.decision.Action.Persist;
import dev.coloha.coordinator.decision.Action.ScheduleRestart;
import dev.coloha.coordinator.decision.Signal.LonePrimaryAnswers;
import dev.coloha.coordinator.decision.Signal.LonePrimaryUnanswered;
import dev.coloha.coordinator.decision.Signal.ProtectFailed;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import java.time.Duration;
import java.time.Instant;

/**
 * The decisions of {@link GroupDecisions} on what a group waits out before it gives up (FAILED): a
 * silent primary without a secondary, a restart from the volume whose host does not answer, a new
 * group that cannot be placed and started. Their bookkeeping is the situation's {@link Waits}; time
 * comes in the signal. Pure, as the rest of the machine.
 */
public final class WaitDecisions {
  private WaitDecisions() {}

  /**
   * Whether the primary may be probed at {@code now} (not while a failed probe of it is recent).
   */
  public static boolean mayProbeLonePrimary(Situation s, Instant now) {
    Waits.LonePrimary w = s.waits().lonePrimary();
    return w == null || !now.isBefore(w.nextProbe());
  }

  /** Whether a silent lone primary is being waited for. */
  public static boolean lonePrimarySilent(Situation s) {
    return s.waits().lonePrimary() != null;
  }

  /**
   * The primary of a group without a secondary is silent and failed a probe. It is the only copy of
   * the service, so the group waits for it (a paused or starved host serves on when it is back) and
   * is FAILED only after lone-primary-patience. A host declared lost, or a primary whose stream at
   * the proxy broke, does not wait: its VM is gone. The next probe waits suspect-after.
   */
  static Decision lonePrimaryUnanswered(Situation s, LonePrimaryUnanswered u, Duration patience) {
    Group g = s.group();
    if (g.state() == GroupState.FAILED) {
      return Decision.stay(s);
    }
    Waits.LonePrimary w = s.waits().lonePrimary();
    Instant nextProbe = u.at().plus(g.policy().suspectAfter());
    if (w == null) {
      w = new Waits.LonePrimary(u.at(), nextProbe, g.reason());
      if (!patience.isZero()) {
        String detail =
            "primary on "
                + u.host()
                + " does not answer ("
                + u.reason()
                + "); it is the only copy of the service: waiting up to "
                + patience.toSeconds()
                + " s for it";
        return Decision.of(
            s.withWaits(s.waits().withLonePrimary(w)).withGroup(g.with(g.state(), detail)),
            new Persist("primary-unreachable", detail));
      }
    } else {
      w = new Waits.LonePrimary(w.silentSince(), nextProbe, w.reasonBefore());
      if (Duration.between(w.silentSince(), u.at()).compareTo(patience) < 0) {
        return Decision.stay(s.withWaits(s.waits().withLonePrimary(w)));
      }
    }
    // its host does not answer, and its volume is on that host: nothing to restart from
    String why =
        "primary on "
            + u.host()
            + " lost: "
            + u.reason()
            + "; silent since "
            + w.silentSince()
            + ", longer than lone-primary-patience ("
            + patience.toSeconds()
            + " s)";
    return Decision.of(
        s.withWaits(s.waits().withLonePrimary(null))
            .withGroup(g.with(GroupState.FAILED, why + " (no synced secondary)")),
        new Persist("failed", why));
  }

  /** The lone primary that was silent answers again: the group goes on as it was. */
  static Decision lonePrimaryAnswers(Situation s, LonePrimaryAnswers a) {
    Waits.LonePrimary w = s.waits().lonePrimary();
    if (w == null) {
      return Decision.stay(s);
    }
    Situation next = s.withWaits(s.waits().withLonePrimary(null));
    Group g = s.group();
    if (g.state() == GroupState.FAILED || g.primary() == null) {
      return Decision.stay(next);
    }
    String detail =
        "primary on "
            + g.primary().host()
            + " is back ("
            + a.how()
            + ") after "
            + Duration.between(w.silentSince(), a.at()).toMillis()
            + " ms of silence";
    return Decision.of(
        next.withGroup(g.with(g.state(), w.reasonBefore())),
        new Persist("primary-reachable", detail));
  }

  /**
   * A restart from the volume left the group RESTARTING: tried again after the backoff, or FAILED
   * once lone-primary-patience has passed since RESTARTING began.
   */
  static Decision restartWaits(Situation s, Instant at, Duration patience) {
    Group g = s.group();
    if (g.state() != GroupState.RESTARTING) {
      return Decision.stay(s);
    }
    Instant since = s.waits().restartingSince() == null ? at : s.waits().restartingSince();
    if (Duration.between(since, at).compareTo(patience) <= 0) {
      return Decision.of(s, new ScheduleRestart(at));
    }
    String reason =
        "could not restart from its volume on "
            + g.primary().host()
            + " within lone-primary-patience ("
            + patience.toSeconds()
            + " s): its agent or mirror does not answer";
    return Decision.of(
        s.withWaits(s.waits().withRestartingSince(null))
            .withGroup(g.with(GroupState.FAILED, reason)),
        new Persist("failed", reason));
  }

  /**
   * Creation or pairing failed: the group keeps its state and is tried again; one that still cannot
   * be placed and started after create-attempts attempts and create-timeout goes to FAILED with its
   * reason (a DELETE then removes whatever it left).
   */
  static Decision protectFailed(Situation s, ProtectFailed f, GroupDecisions.Limits limits) {
    Group g = s.group();
    if (g.state() != GroupState.CREATING && g.state() != GroupState.SYNCING) {
      return Decision.stay(s);
    }
    Instant since = s.waits().creatingSince() == null ? f.at() : s.waits().creatingSince();
    int attempts = s.waits().createAttempts() + 1;
    Situation next = s.withWaits(s.waits().withCreateAttempts(attempts, since));
    Duration spent = Duration.between(since, f.at());
    if (attempts < limits.createAttempts() || spent.compareTo(limits.createTimeout()) < 0) {
      return Decision.of(
          next.withGroup(g.with(g.state(), "retrying: " + f.message())),
          new Persist("protect-failed", f.message()));
    }
    String reason =
        "could not be placed and started in "
            + attempts
            + " attempts over "
            + spent.toSeconds()
            + " s: "
            + f.message();
    return Decision.of(
        next.withGroup(g.with(GroupState.FAILED, reason)), new Persist("failed", reason));
  }
}
