package dev.coloha.coordinator.decision;

import dev.coloha.coordinator.model.Policy;
import java.time.Instant;

/**
 * What can happen to a group, as the decision machine sees it: the proxy's events, the host watch's
 * findings, the outcomes of the actions it asked for, and the passing of time. A signal carries the
 * time it needs: the machine reads no clock. (Not the group's history entries, {@code
 * events.GroupEvent}.)
 */
public sealed interface Signal {

  /** The proxy found replies that differ (or time out, or close apart): checkpoint, counted. */
  record Mismatch(String kind) implements Signal {}

  /** The proxy asks for a checkpoint without a mismatch (held output, a failed self-checkpoint). */
  record Pressure(String kind) implements Signal {}

  /** The proxy applied a checkpoint it asked of the primary itself. */
  record SelfCheckpointed(long epoch, long sequence) implements Signal {}

  /** The group's policy was changed through the API. */
  record PolicyChanged(Policy policy) implements Signal {}

  /** The proxy lost its stream to (or the guest of) the replica {@code vm} on {@code agentUrl}. */
  record StreamBroken(String agentUrl, String vm, String reason) implements Signal {}

  /** A replica's host stopped beating (or a checkpoint failed): probe it. */
  record HostSilent(Role role, String reason) implements Signal {}

  /** A host was declared lost (or a probe confirmed it is gone). */
  record HostLost(String host, String reason) implements Signal {}

  /** A probe confirmed that the replica is gone ({@code reason} says how, in full). */
  record ProbeFailed(Role role, String reason) implements Signal {}

  /** A failover could not promote the secondary, which is gone too. */
  record PromotionFailed(String reason) implements Signal {}

  /** The primary captured a checkpoint and its secondary acknowledged it. */
  record CheckpointAcked(long epoch, long sequence) implements Signal {}

  /** The proxy applied the commit of a checkpoint. */
  record CheckpointCommitted(long epoch, long sequence) implements Signal {}

  /**
   * A checkpoint (its capture or its commit) failed.
   *
   * @param cause whose fault it is
   * @param problem what the answer was: the kind of problem, no answer, or a local error
   * @param message what failed, for the reasons and the history
   * @param at when
   */
  record CheckpointFailed(Cause cause, CheckpointProblem problem, String message, Instant at)
      implements Signal {}

  /** The next stage of judging a failed checkpoint, once the probes before it have run. */
  record CheckpointFailureReview(Stage stage, CheckpointFailed failure) implements Signal {
    /** Probe the secondary next (while the group is still PROTECTED), or judge. */
    public enum Stage {
      PROBE_SECONDARY,
      VERDICT,
      SETTLE
    }
  }

  /** What a failed checkpoint was first taken for, before the disk mirrors were probed. */
  enum Suspect {
    /** The primary's disk barrier failed. */
    PRIMARY_DISK,
    /**
     * The primary answered that its secondary did not take the checkpoint (timeout, unavailable): a
     * primary whose own mirror died after the barrier makes the same answer, so the mirrors are
     * probed before the secondary is dropped.
     */
    SECONDARY_LINK
  }

  /** The disk mirrors were probed after a checkpoint failed on the primary's disk or link. */
  record MirrorsProbed(
      boolean primaryMirrorDown, boolean secondaryMirrorDown, String message, Suspect suspect)
      implements Signal {
    /** After a failure on the primary's disk. */
    public MirrorsProbed(boolean primaryMirrorDown, boolean secondaryMirrorDown, String message) {
      this(primaryMirrorDown, secondaryMirrorDown, message, Suspect.PRIMARY_DISK);
    }
  }

  /** The proxy does not serve the group (its event stream says so, or broke, at {@code seen}). */
  record ProxyUnserved(String reason, Instant seen, Instant at) implements Signal {}

  /** The proxy at {@code url} beat (registered again). */
  record ProxyReRegistered(String url, Instant at) implements Signal {}

  /**
   * The proxy of the host that served from {@code from} beats from {@code to} now: its warm standby
   * took over (docs/proxy.md "Warm standby"), or it was restarted on another address.
   */
  record ProxyMoved(String from, String to, Instant at) implements Signal {}

  /** The proxy serves the group again. */
  record ProxyRestored() implements Signal {}

  /**
   * A probe of the primary of a group without a secondary failed at {@code at} (its host is not
   * declared lost): the only copy of the service, waited for up to lone-primary-patience.
   */
  record LonePrimaryUnanswered(String host, String reason, Instant at) implements Signal {}

  /** The lone primary that was silent answers again ({@code how}: a heartbeat, a probe). */
  record LonePrimaryAnswers(String how, Instant at) implements Signal {}

  /** A restart from the volume, tried at {@code at}, left the group RESTARTING. */
  record RestartWaits(Instant at) implements Signal {}

  /** Placing, creating or pairing a new group (CREATING, SYNCING) failed at {@code at}. */
  record ProtectFailed(String message, Instant at) implements Signal {}

  /** Time passed: whatever is due now. */
  record Tick(Instant now) implements Signal {}
}
