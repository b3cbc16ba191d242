package dev.coloha.proxy.compare;

import dev.coloha.wire.io.IoFrame;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The release-or-hold state machine of one protected service (group): every connection's primary
 * and secondary output, the group's intervals, commits, failover and re-attach. Pure domain: frames
 * and commands in, {@link OutputEffects} out; no sockets, no threads, no Spring. Every public
 * method is synchronized; effects run under that lock and must not call back.
 *
 * <p>Intervals: checkpoint N closes output interval N. After the last commit N (or, before the
 * first, from the primary's interval when its stream starts) the <em>compare interval</em> is N+1:
 * the primary's bytes of intervals up to N are released (a checkpoint the secondary applied covers
 * them), its bytes of N+1 are compared with the secondary's bytes of N+1 at the same offsets, and
 * its bytes of later intervals wait for the next commit.
 */
public final class OutputComparator {
  /** COLO compares two replicas; SINGLE releases one replica's output (passthrough, failover). */
  public enum Mode {
    COLO,
    SINGLE
  }

  /**
   * @param compareTimeoutNanos how long one side may stay ahead before a TIMEOUT mismatch
   * @param heldPerConnection buffered bytes of one connection above which it is under pressure
   * @param heldPerGroup buffered bytes of the group above which the group is under pressure
   * @param sampleSize bytes of each side in a mismatch's sample
   * @param forensicSide bytes kept on each side of a divergence for forensics (0: none)
   */
  public record Settings(
      long compareTimeoutNanos,
      long heldPerConnection,
      long heldPerGroup,
      int sampleSize,
      int forensicSide) {}

  /** Counters and state, as one consistent copy. */
  public record Stats(
      Mode mode,
      long committed,
      long compareInterval,
      long primaryInterval,
      long secondaryInterval,
      int connections,
      long heldPrimary,
      long heldSecondary,
      long compared,
      long releasedMatched,
      long releasedCommitted,
      long releasedSingle,
      long droppedSecondary) {}

  /** One connection's position, for the API. */
  public record ConnectionStats(
      int conn,
      long released,
      long primaryReceived,
      long heldPrimary,
      long bufferedSecondary,
      boolean held,
      boolean single,
      boolean unprotected) {}

  final OutputEffects effects;
  private final Map<Integer, ConnectionOutput> conns = new HashMap<>();
  final Set<ConnectionOutput> pending = new LinkedHashSet<>();
  private Mode mode;
  private boolean baseKnown;

  long committed = Long.MIN_VALUE;
  long compareInterval = Long.MIN_VALUE + 1;
  long primaryInterval = -1;
  long secondaryInterval = -1;
  long secondaryBrokenThrough = Long.MIN_VALUE;

  long heldPrimary;
  long heldSecondary;
  long compared;
  long releasedMatched;
  long releasedCommitted;
  long releasedSingle;
  long droppedSecondary;

  long timeoutNanos;
  long heldLimitPerConnection;
  long heldLimitPerGroup;
  long recentWindow;
  int sampleSize;
  private boolean groupOver;

  public OutputComparator(Mode mode, Settings settings, OutputEffects effects) {
    this.mode = mode;
    this.effects = effects;
    settings(settings);
  }

  public synchronized void settings(Settings s) {
    timeoutNanos = s.compareTimeoutNanos();
    heldLimitPerConnection = s.heldPerConnection();
    heldLimitPerGroup = s.heldPerGroup();
    sampleSize = s.sampleSize();
    recentWindow = s.forensicSide();
  }

  public synchronized Mode mode() {
    return mode;
  }

  /** A client connected: its output is compared (COLO) or released as it comes (SINGLE). */
  public synchronized void open(int conn) {
    conns.putIfAbsent(conn, new ConnectionOutput(conn, this, mode == Mode.SINGLE));
  }

  /** The client is gone: whatever its connection holds is dropped, later output ignored. */
  public synchronized void forget(int conn) {
    ConnectionOutput c = conns.remove(conn);
    if (c != null) {
      c.finish();
      checkGroupLimit();
    }
  }

  // ---- frames from the replicas ---------------------------------------------------------------

  /** A frame of the primary's output stream. */
  public synchronized void primary(IoFrame f, long now) {
    switch (f) {
      case IoFrame.Interval i -> primarySees(i.interval(), now);
      case IoFrame.Heartbeat h -> primarySees(h.interval(), now);
      case IoFrame.Output o -> {
        primarySees(o.interval(), now);
        ConnectionOutput c = conns.get(o.conn());
        if (c != null) {
          c.primaryOutput(o.interval(), o.offset(), o.bytes(), now);
        }
      }
      case IoFrame.Closed o -> {
        primarySees(o.interval(), now);
        ConnectionOutput c = conns.get(o.conn());
        if (c != null) {
          c.primaryClosed(o.interval(), o.endOffset(), now);
        }
      }
      default -> {
        // CRASHED, ERROR, END: the stream's owner handles them
      }
    }
    checkGroupLimit();
  }

  private void primarySees(long interval, long now) {
    primaryInterval = Math.max(primaryInterval, interval);
    if (!baseKnown && mode == Mode.COLO) {
      base(interval, now);
    }
  }

  /** Before any commit, comparison starts in the interval the primary is in. */
  private void base(long interval, long now) {
    baseKnown = true;
    committed = interval - 1;
    compareInterval = interval;
    for (ConnectionOutput c : new ArrayList<>(conns.values())) {
      c.commit(committed, -1, now);
    }
  }

  /** A frame of the secondary's output stream (ignored in SINGLE mode). */
  public synchronized void secondary(IoFrame f, long now) {
    if (mode == Mode.SINGLE) {
      return;
    }
    switch (f) {
      case IoFrame.Interval i -> secondaryInterval = Math.max(secondaryInterval, i.interval());
      case IoFrame.Heartbeat h -> secondaryInterval = Math.max(secondaryInterval, h.interval());
      case IoFrame.Output o -> {
        secondaryInterval = Math.max(secondaryInterval, o.interval());
        ConnectionOutput c = conns.get(o.conn());
        if (c != null) {
          c.secondaryOutput(o.interval(), o.offset(), o.bytes(), now);
        } else {
          droppedSecondary += o.bytes().length;
        }
      }
      case IoFrame.Closed o -> {
        secondaryInterval = Math.max(secondaryInterval, o.interval());
        ConnectionOutput c = conns.get(o.conn());
        if (c != null) {
          c.secondaryClosed(o.interval(), o.endOffset(), now);
        }
      }
      default -> {
        // CRASHED, ERROR, END: the stream's owner handles them
      }
    }
    checkGroupLimit();
  }

  /**
   * The secondary's stream was reopened and frames may have been lost in between: its output of
   * intervals up to {@code interval} (its current one) can no longer be trusted to match.
   */
  public synchronized void secondaryReconnected(long interval, long now) {
    secondaryBrokenThrough = Math.max(secondaryBrokenThrough, interval);
    for (ConnectionOutput c : new ArrayList<>(conns.values())) {
      for (ConnectionOutput.Segment s : c.segments) {
        if (s.interval <= interval) {
          s.broken = true;
        }
      }
      c.drain(now);
    }
  }

  // ---- commands -------------------------------------------------------------------------------

  /**
   * Checkpoint {@code sequence} is applied by the secondary: release the primary's output of
   * intervals up to it, drop the secondary's, compare what follows.
   *
   * @param outputOffsets the primary's output offset per connection at the checkpoint's pause
   * @return false if it changed nothing (an old or repeated commit, or SINGLE mode)
   */
  public synchronized boolean commit(long sequence, Map<Integer, Long> outputOffsets, long now) {
    if (mode == Mode.SINGLE || (baseKnown && sequence <= committed)) {
      return false;
    }
    baseKnown = true;
    committed = sequence;
    compareInterval = sequence + 1;
    for (ConnectionOutput c : new ArrayList<>(conns.values())) {
      c.commit(sequence, outputOffsets.getOrDefault(c.conn, -1L), now);
    }
    checkGroupLimit();
    return true;
  }

  /**
   * Failover: the secondary is now the only replica. The old primary's output is released as far as
   * a checkpoint the secondary applied covers it; then the secondary's output continues each stream
   * from the released offset on, with no gap and no duplicate byte (a connection where that is
   * impossible is reset). From now on the caller feeds the new primary's frames to {@link
   * #primary}.
   */
  public synchronized void failoverToSecondary(long now) {
    // a commit proves the secondary applied that checkpoint, even if its stream has not said so
    long lineage = baseKnown ? Math.max(secondaryInterval, committed + 1) : secondaryInterval;
    if (lineage - 1 > committed) {
      committed = lineage - 1; // the secondary applied it; its commit had not reached us
    }
    mode = Mode.SINGLE;
    for (ConnectionOutput c : new ArrayList<>(conns.values())) {
      c.failoverToSecondary(lineage, now);
    }
    primaryInterval = secondaryInterval;
    secondaryInterval = -1;
    pending.clear();
    checkGroupLimit();
  }

  /** The secondary is gone (or passthrough was asked for): release the primary's output. */
  public synchronized void dropSecondary(long now) {
    mode = Mode.SINGLE;
    secondaryInterval = -1;
    for (ConnectionOutput c : new ArrayList<>(conns.values())) {
      c.dropSecondary(now);
    }
    pending.clear();
    checkGroupLimit();
  }

  /**
   * A secondary joins, synced by checkpoint {@code sequence}: compare from the interval after it.
   * Connections in {@code unprotectable} (their input since the checkpoint is not available) stay
   * released without comparison and are reset if a failover ever needs them.
   */
  public synchronized void attachSecondary(
      long sequence, Map<Integer, Long> outputOffsets, Set<Integer> unprotectable, long now) {
    mode = Mode.COLO;
    baseKnown = true;
    committed = sequence;
    compareInterval = sequence + 1;
    secondaryInterval = -1;
    secondaryBrokenThrough = Long.MIN_VALUE;
    for (ConnectionOutput c : new ArrayList<>(conns.values())) {
      Long target = outputOffsets.get(c.conn);
      if (target != null) {
        c.commitTarget = target;
        c.commitTargetSequence = sequence;
      }
      c.attachSecondary(!unprotectable.contains(c.conn), now);
    }
    checkGroupLimit();
  }

  /** Reports timeouts; call it a few times per compare timeout. */
  public synchronized void tick(long now) {
    if (pending.isEmpty()) {
      return;
    }
    for (ConnectionOutput c : new ArrayList<>(pending)) {
      c.checkTimeout(now, timeoutNanos);
    }
  }

  private void checkGroupLimit() {
    long n = heldPrimary + heldSecondary;
    if (!groupOver && n > heldLimitPerGroup) {
      groupOver = true;
      effects.pressure(-1, true, n);
    } else if (groupOver && n <= heldLimitPerGroup / 2) {
      groupOver = false;
      effects.pressure(-1, false, n);
    }
  }

  // ---- views ----------------------------------------------------------------------------------

  public synchronized Stats stats() {
    return new Stats(
        mode,
        committed,
        compareInterval,
        primaryInterval,
        secondaryInterval,
        conns.size(),
        heldPrimary,
        heldSecondary,
        compared,
        releasedMatched,
        releasedCommitted,
        releasedSingle,
        droppedSecondary);
  }

  public synchronized List<ConnectionStats> connections() {
    List<ConnectionStats> out = new ArrayList<>(conns.size());
    for (ConnectionOutput c : conns.values()) {
      out.add(connectionStats(c));
    }
    out.sort((a, b) -> Integer.compare(a.conn(), b.conn()));
    return out;
  }

  public synchronized ConnectionStats connection(int conn) {
    ConnectionOutput c = conns.get(conn);
    return c == null ? null : connectionStats(c);
  }

  private static ConnectionStats connectionStats(ConnectionOutput c) {
    return new ConnectionStats(
        c.conn,
        c.released,
        c.pNext,
        c.p.size(),
        c.buffered() - c.p.size(),
        c.held,
        c.single,
        c.unprotected);
  }

  /** Buffered bytes (primary held plus secondary kept) of the whole group. */
  public synchronized long buffered() {
    return heldPrimary + heldSecondary;
  }

  /** Buffered bytes (primary held plus secondary kept) of one connection. */
  public synchronized long buffered(int conn) {
    ConnectionOutput c = conns.get(conn);
    return c == null ? 0 : c.buffered();
  }
}
