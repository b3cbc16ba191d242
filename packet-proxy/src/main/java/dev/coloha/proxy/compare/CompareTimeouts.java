package dev.coloha.proxy.compare;

import dev.coloha.proxy.compare.SecondaryOutput.Segment;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The connections of a group where one side is ahead of the other (or the primary's next interval
 * waits for a commit): an episode starts when a connection's decision leaves something pending and
 * ends when nothing is; one that lasts longer than the compare timeout is reported once as a {@code
 * TIMEOUT} mismatch (a {@code CLOSE} one if a close is what waits).
 */
final class CompareTimeouts {
  private final Set<ConnectionOutput> pending = new LinkedHashSet<>();

  /** Whether {@code c} waits for the other side (only a compared connection can). */
  private static boolean pending(ConnectionOutput c) {
    if (!c.is(ConnectionState.COMPARED)) {
      return false;
    }
    if (!c.p.isEmpty() || c.pClosedAt >= 0) {
      return true;
    }
    Segment s = c.compareSegment();
    return s != null && (!s.bytes.isEmpty() || s.closedAt >= 0);
  }

  /** After a decision of {@code c}: starts or ends its episode. */
  void update(ConnectionOutput c, long now) {
    if (!pending(c)) {
      if (c.pendingSince >= 0) {
        pending.remove(c);
      }
      c.pendingSince = -1;
      c.timeoutReported = false;
    } else if (c.pendingSince < 0) {
      c.pendingSince = now;
      pending.add(c);
    }
  }

  /** {@code c} is over: its episode ends. */
  void forget(ConnectionOutput c) {
    if (c.pendingSince >= 0) {
      pending.remove(c);
      c.pendingSince = -1;
    }
  }

  /** One replica from now on: nothing waits for the other side. */
  void clear() {
    pending.clear();
  }

  /** Reports the episodes that lasted {@code timeoutNanos}, once each. */
  void tick(long now, long timeoutNanos) {
    if (pending.isEmpty()) {
      return;
    }
    for (ConnectionOutput c : new ArrayList<>(pending)) {
      check(c, now, timeoutNanos);
    }
  }

  private void check(ConnectionOutput c, long now, long timeoutNanos) {
    if (c.pendingSince < 0 || c.timeoutReported || now - c.pendingSince < timeoutNanos) {
      return;
    }
    if (!pending(c)) {
      update(c, now);
      return;
    }
    c.timeoutReported = true;
    c.g.effects.mismatch(MismatchReport.timeout(c, now));
  }
}
