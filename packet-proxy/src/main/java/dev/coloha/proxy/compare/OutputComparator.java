package dev.coloha.proxy.compare;

import dev.coloha.wire.io.IoFrame;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The release-or-hold state machine of one protected service (group): every connection's primary
 * and secondary output, the group's intervals, commits, failover and re-attach. Pure domain: frames
 * and commands in, {@link OutputEffects} out; no sockets, no threads, no Spring. Every public
 * method takes the comparator's own lock (private: no caller can hold it across calls); effects run
 * under it and must not call back.
 *
 * <p>Intervals: checkpoint N closes output interval N. After the last commit N (or, before the
 * first, from the primary's interval when its stream starts) the <em>compare interval</em> is N+1:
 * the primary's bytes of intervals up to N are released (a checkpoint the secondary applied covers
 * them), its bytes of N+1 are compared with the secondary's bytes of N+1 at the same offsets, and
 * its bytes of later intervals wait for the next commit.
 *
 * <p>Whether two replicas are compared and whether the intervals have a base is one {@link
 * ComparatorState}; each command moves it by one of its transitions.
 */
public final class OutputComparator {
  /** COLO compares two replicas; SINGLE releases one replica's output (passthrough, failover). */
  public enum Mode {
    COLO,
    SINGLE
  }

  /**
   * @param compareTimeoutNanos how long one side may stay ahead before a TIMEOUT mismatch
   * @param commitWaitNanos how long output may wait while a checkpoint is under way (the primary is
   *     past the compared interval, the commit has not come) before a TIMEOUT mismatch: what waits
   *     then is resolved by the commit, not by the replicas catching up; a value below {@code
   *     compareTimeoutNanos} counts as {@code compareTimeoutNanos}
   * @param heldPerConnection buffered bytes of one connection above which it is under pressure
   * @param heldPerGroup buffered bytes of the group above which the group is under pressure
   * @param sampleSize bytes of each side in a mismatch's sample
   * @param forensicSide bytes kept on each side of a divergence for forensics (0: none)
   */
  public record Settings(
      long compareTimeoutNanos,
      long commitWaitNanos,
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

  private final Object lock = new Object();
  final OutputEffects effects;
  private final Map<Integer, ConnectionOutput> conns = new HashMap<>();
  final CompareTimeouts timeouts = new CompareTimeouts();
  private ComparatorState state;

  long committed = Long.MIN_VALUE;
  long compareInterval = Long.MIN_VALUE + 1;
  long primaryInterval = -1;
  long secondaryInterval = -1;
  long secondaryBrokenThrough = Long.MIN_VALUE;

  final OutputCounters counts = new OutputCounters();

  Settings settings;
  private boolean groupOver;

  public OutputComparator(Mode mode, Settings settings, OutputEffects effects) {
    this.state = ComparatorState.initial(mode);
    this.effects = effects;
    settings(settings);
  }

  public void settings(Settings s) {
    synchronized (lock) {
      settings = s;
    }
  }

  public Mode mode() {
    synchronized (lock) {
      return state.mode();
    }
  }

  /** A client connected: its output is compared (COLO) or released as it comes (SINGLE). */
  public void open(int conn) {
    synchronized (lock) {
      conns.putIfAbsent(conn, new ConnectionOutput(conn, this, !state.compares()));
    }
  }

  /** The client is gone: whatever its connection holds is dropped, later output ignored. */
  public void forget(int conn) {
    synchronized (lock) {
      ConnectionOutput c = conns.remove(conn);
      if (c != null) {
        c.finish();
        checkGroupLimit();
      }
    }
  }

  // ---- frames from the replicas ---------------------------------------------------------------

  /** A frame of the primary's output stream. */
  public void primary(IoFrame f, long now) {
    synchronized (lock) {
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
  }

  private void primarySees(long interval, long now) {
    primaryInterval = Math.max(primaryInterval, interval);
    if (state.awaitsBase()) {
      base(interval, now);
    }
  }

  /** Before any commit, comparison starts in the interval the primary is in. */
  private void base(long interval, long now) {
    state = state.primaryStarted();
    committed = interval - 1;
    compareInterval = interval;
    for (ConnectionOutput c : new ArrayList<>(conns.values())) {
      ConnectionSwitches.commit(c, committed, -1, now);
    }
  }

  /** A frame of the secondary's output stream (ignored in SINGLE mode). */
  public void secondary(IoFrame f, long now) {
    synchronized (lock) {
      if (!state.compares()) {
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
            counts.droppedSecondary += o.bytes().length;
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
  }

  /**
   * The secondary's stream was reopened and frames may have been lost in between: its output of
   * intervals up to {@code interval} (its current one) can no longer be trusted to match.
   */
  public void secondaryReconnected(long interval, long now) {
    synchronized (lock) {
      secondaryBrokenThrough = Math.max(secondaryBrokenThrough, interval);
      for (ConnectionOutput c : new ArrayList<>(conns.values())) {
        c.secondary.markBroken(interval);
        c.drain(now);
      }
      effects.buffered(counts.buffered());
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
  public boolean commit(long sequence, Map<Integer, Long> outputOffsets, long now) {
    synchronized (lock) {
      if (!state.compares() || (state.based() && sequence <= committed)) {
        return false;
      }
      state = state.committed();
      committed = sequence;
      compareInterval = sequence + 1;
      for (ConnectionOutput c : new ArrayList<>(conns.values())) {
        ConnectionSwitches.commit(c, sequence, outputOffsets.getOrDefault(c.conn, -1L), now);
      }
      checkGroupLimit();
      return true;
    }
  }

  /**
   * Failover: the secondary is now the only replica. The old primary's output is released as far as
   * a checkpoint the secondary applied covers it; then the secondary's output continues each stream
   * from the released offset on, with no gap and no duplicate byte (a connection where that is
   * impossible is reset). From now on the caller feeds the new primary's frames to {@link
   * #primary}.
   */
  public void failoverToSecondary(long now) {
    synchronized (lock) {
      // a commit proves the secondary applied that checkpoint, even if its stream has not said so
      long lineage = state.based() ? Math.max(secondaryInterval, committed + 1) : secondaryInterval;
      if (lineage - 1 > committed) {
        committed = lineage - 1; // the secondary applied it; its commit had not reached us
      }
      state = state.secondaryGone();
      for (ConnectionOutput c : new ArrayList<>(conns.values())) {
        ConnectionSwitches.failoverToSecondary(c, lineage, now);
      }
      primaryInterval = secondaryInterval;
      secondaryInterval = -1;
      timeouts.clear();
      checkGroupLimit();
    }
  }

  /** The secondary is gone (or passthrough was asked for): release the primary's output. */
  public void dropSecondary(long now) {
    synchronized (lock) {
      state = state.secondaryGone();
      secondaryInterval = -1;
      for (ConnectionOutput c : new ArrayList<>(conns.values())) {
        ConnectionSwitches.dropSecondary(c, now);
      }
      timeouts.clear();
      checkGroupLimit();
    }
  }

  /**
   * A secondary joins, synced by checkpoint {@code sequence}: compare from the interval after it.
   * Connections in {@code unprotectable} (their input since the checkpoint is not available) stay
   * released without comparison and are reset if a failover ever needs them.
   */
  public void attachSecondary(
      long sequence, Map<Integer, Long> outputOffsets, Set<Integer> unprotectable, long now) {
    synchronized (lock) {
      state = state.secondaryAttached();
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
        ConnectionSwitches.attachSecondary(c, !unprotectable.contains(c.conn), now);
      }
      checkGroupLimit();
    }
  }

  /** Reports timeouts; call it a few times per compare timeout. */
  public void tick(long now) {
    synchronized (lock) {
      timeouts.tick(
          now,
          primaryInterval > compareInterval
              ? Math.max(settings.compareTimeoutNanos(), settings.commitWaitNanos())
              : settings.compareTimeoutNanos());
    }
  }

  private void checkGroupLimit() {
    long n = counts.buffered();
    if (!groupOver && n > settings.heldPerGroup()) {
      groupOver = true;
      effects.pressure(-1, true, n);
    } else if (groupOver && n <= settings.heldPerGroup() / 2) {
      groupOver = false;
      effects.pressure(-1, false, n);
    }
    effects.buffered(n);
  }

  // ---- views ----------------------------------------------------------------------------------

  public Stats stats() {
    synchronized (lock) {
      return new Stats(
          state.mode(),
          committed,
          compareInterval,
          primaryInterval,
          secondaryInterval,
          conns.size(),
          counts.heldPrimary,
          counts.heldSecondary,
          counts.compared,
          counts.releasedMatched,
          counts.releasedCommitted,
          counts.releasedSingle,
          counts.droppedSecondary);
    }
  }

  public List<ConnectionStats> connections() {
    synchronized (lock) {
      List<ConnectionStats> out = new ArrayList<>(conns.size());
      for (ConnectionOutput c : conns.values()) {
        out.add(connectionStats(c));
      }
      out.sort((a, b) -> Integer.compare(a.conn(), b.conn()));
      return out;
    }
  }

  public ConnectionStats connection(int conn) {
    synchronized (lock) {
      ConnectionOutput c = conns.get(conn);
      return c == null ? null : connectionStats(c);
    }
  }

  private static ConnectionStats connectionStats(ConnectionOutput c) {
    return new ConnectionStats(
        c.conn,
        c.released,
        c.pNext,
        c.p.size(),
        c.buffered() - c.p.size(),
        c.shown() == ConnectionState.HELD,
        c.shown() == ConnectionState.SINGLE,
        c.shown() == ConnectionState.UNPROTECTED);
  }

  /** Buffered bytes (primary held plus secondary kept) of the whole group. */
  public long buffered() {
    synchronized (lock) {
      return counts.buffered();
    }
  }

  /** Buffered bytes (primary held plus secondary kept) of one connection. */
  public long buffered(int conn) {
    synchronized (lock) {
      ConnectionOutput c = conns.get(conn);
      return c == null ? 0 : c.buffered();
    }
  }
}
