package dev.coloha.coordinator.group;

import java.time.Duration;
import java.time.Instant;

/**
 * Watches a primary that has no secondary once it stops answering. That primary is the only copy of
 * the service: declaring it lost gains nothing (there is nobody to fail over to) and a host that
 * was only paused or starved of CPU for a few seconds serves on afterwards. So its group waits, and
 * gives up (FAILED) only after {@code lone-primary-patience} of silence. Probes while waiting are
 * spaced, so that the group's worker keeps handling commands meanwhile.
 */
final class LonePrimaryWatch {
  /** What a failed probe of the lone primary means now. */
  enum Verdict {
    /** The primary just went silent: record it once, and wait. */
    NEWLY_SILENT,
    /** Still silent, still within the patience: wait. */
    WAIT,
    /** Silent for longer than the patience: the group cannot go on. */
    GIVE_UP
  }

  private final Duration patience;
  private Instant silentSince;
  private Instant nextProbe = Instant.EPOCH;
  private String reasonBefore;

  LonePrimaryWatch(Duration patience) {
    if (patience == null || patience.isNegative()) {
      throw new IllegalArgumentException("lone-primary-patience must be zero or more");
    }
    this.patience = patience;
  }

  /** Whether the primary may be probed again now (false while a recent probe failed). */
  boolean mayProbe(Instant now) {
    return silentSince == null || !now.isBefore(nextProbe);
  }

  /**
   * A probe of the lone primary failed at {@code now}; the next one waits {@code probeSpacing}.
   * {@code reason} is the group's reason before the silence, given back by {@link #answered()}.
   */
  Verdict probeFailed(Instant now, Duration probeSpacing, String reason) {
    nextProbe = now.plus(probeSpacing);
    if (silentSince == null) {
      silentSince = now;
      reasonBefore = reason;
      return patience.isZero() ? Verdict.GIVE_UP : Verdict.NEWLY_SILENT;
    }
    return Duration.between(silentSince, now).compareTo(patience) >= 0
        ? Verdict.GIVE_UP
        : Verdict.WAIT;
  }

  /** Whether the primary was silent (and is heard again now). */
  boolean silent() {
    return silentSince != null;
  }

  /** Since when the primary is silent, or {@code null}. */
  Instant silentSince() {
    return silentSince;
  }

  /** The primary answers (a heartbeat or a probe): the watch ends; the reason it had before. */
  String answered() {
    String r = reasonBefore;
    silentSince = null;
    reasonBefore = null;
    nextProbe = Instant.EPOCH;
    return r;
  }

  Duration patience() {
    return patience;
  }
}
