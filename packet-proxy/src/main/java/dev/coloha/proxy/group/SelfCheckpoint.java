package dev.coloha.proxy.group;

import dev.coloha.api.ErrorKind;
import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import dev.coloha.proxy.replica.AgentCheckpointException;
import dev.coloha.proxy.replica.AgentCheckpoints;
import dev.coloha.wire.concurrent.Mailbox;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group's self-checkpoints: when output waits for a checkpoint (a mismatch or pressure asked for
 * one) and no coordinator decides it in time, the proxy asks the primary's agent itself, in the
 * group's epoch, and applies the answer as a commit, fenced and validated like a coordinator's.
 *
 * <p>"In time" is {@code colo.proxy.self-checkpoint.after} while no coordinator follows the group's
 * event stream (it was killed, or cannot reach the proxy), {@code coordinator-grace} while one does
 * (it is expected to checkpoint; a frozen one does not). Any applied commit, the coordinator's or
 * the proxy's, answers every request made before it. At most one self-checkpoint runs at a time, at
 * most one starts per {@code min-interval}; a failed one leaves the output held (nothing is
 * released without a checkpoint the secondary applied), is reported as a {@code
 * self-checkpoint-failed} event that asks the coordinator for a checkpoint (and stays pending for a
 * coordinator that subscribes later), and is tried again after a backoff.
 *
 * <p>Safety rests on the agents, as for the coordinator's checkpoints: a checkpoint is committed
 * only after the primary's secondary acknowledged it in the same epoch; an agent refuses another
 * epoch's call ({@code stale-epoch}) and a promoted secondary refuses the old primary's stream; the
 * commit is fenced by the group's epoch at the proxy (a failover that arrived meanwhile refuses
 * it). The agent serialises checkpoints (one at a time per VM) and numbers them strictly upwards,
 * so that the coordinator's and the proxy's checkpoints interleave without confusing it.
 *
 * <p>Threads: the bookkeeping is the group's, on its mailbox's turn ({@link Group#onTurn}): the due
 * check (a deadline set when a request arises, and the group's periodic checks), the commit and
 * what follows an attempt. A request comes from the comparator's effects and the backpressure on
 * their threads and only sets {@link #requestedAt} (atomic, never blocks). The call to the agent
 * runs on its own virtual thread, off the turn: a failover or a coordinator's commit never waits
 * for an agent's answer.
 */
final class SelfCheckpoint {
  private static final Logger log = LoggerFactory.getLogger(SelfCheckpoint.class);
  private static final long NONE = Long.MIN_VALUE;

  private final Group group;
  private final ProxySettings.SelfCheckpoint cfg;
  private final AgentCheckpoints agent;
  private final Mailbox turn;

  /** When the oldest unanswered request was made (NONE: none); set from any thread. */
  private final AtomicLong requestedAt = new AtomicLong(NONE);

  // on the group's turn
  private long beforeCommit = NONE;
  private boolean running;
  private long notBefore;
  private boolean throttled;
  private int failuresInARow;
  private long lastAttempted = -1;

  // written on the group's turn, read by views
  private volatile long taken;
  private volatile long failed;
  private volatile long waitedForCoordinator;

  SelfCheckpoint(
      Group group, ProxySettings.SelfCheckpoint cfg, AgentCheckpoints agent, Mailbox turn) {
    this.group = group;
    this.cfg = cfg;
    this.agent = agent;
    this.turn = turn;
  }

  /**
   * A checkpoint was asked for (a mismatch, pressure) at {@code now}; from any thread, never
   * blocks. The first request since the last commit sets a deadline on the group's mailbox for when
   * a self-checkpoint would be due (the group's periodic checks look again after it).
   */
  void requested(long now) {
    if (requestedAt.compareAndSet(NONE, now) && cfg.enabled()) {
      boolean followed = group.events().subscribers() > 0;
      long wait = (followed ? cfg.coordinatorGrace() : cfg.after()).toNanos();
      turn.scheduleAt(now + wait, () -> tick(System.nanoTime()));
    }
  }

  /**
   * A commit is about to be applied (on the group's turn): the requests so far are answered if it
   * applies; requests its application raises (the next interval's mismatches) are new.
   */
  void committing() {
    beforeCommit = requestedAt.getAndSet(NONE);
  }

  /** The commit {@link #committing()} announced was applied, or not (an older one). */
  void committed(boolean applied) {
    long before = beforeCommit;
    beforeCommit = NONE;
    if (!applied && before != NONE) {
      requestedAt.accumulateAndGet(before, (now, b) -> now == NONE ? b : Math.min(now, b));
    }
    if (applied && requestedAt.get() == NONE) {
      group.events().pending(null);
    }
  }

  /** On the group's turn: starts a self-checkpoint when one is due. */
  void tick(long now) {
    long at = requestedAt.get();
    if (!cfg.enabled() || running || at == NONE) {
      return;
    }
    if (!group.comparing()) {
      // one replica (a failover or a lost secondary reached the proxy): nothing is held for a
      // checkpoint, and no request stands
      requestedAt.set(NONE);
      group.events().pending(null);
      return;
    }
    boolean followed = group.events().subscribers() > 0;
    long wait = (followed ? cfg.coordinatorGrace() : cfg.after()).toNanos();
    if (now - at < wait) {
      if (followed) {
        waitedForCoordinator++;
      }
      return;
    }
    if (throttled && now - notBefore < 0) {
      return;
    }
    running = true;
    throttled = true;
    notBefore = now + cfg.minInterval().toNanos();
    long epoch = group.spec().epoch();
    ReplicaRef primary = group.primaryRef();
    long seq = Math.max(Math.max(group.comparator().stats().committed(), lastAttempted), -1) + 1;
    lastAttempted = seq;
    Thread.ofVirtual()
        .name("self-checkpoint-" + group.name())
        .start(() -> run(epoch, primary, seq));
  }

  /** Off the turn: asks the agent, then commits and books the outcome on the turn. */
  private void run(long epoch, ReplicaRef primary, long seq) {
    try {
      Commit c;
      try {
        c = agent.checkpoint(primary, epoch, seq);
      } catch (AgentCheckpointException e) {
        if (!e.is(ErrorKind.CHECKPOINT_MISMATCH)) {
          throw e;
        }
        // the number was taken (the coordinator's checkpoint, or an attempt that failed after it
        // marked its disk barrier): the agent takes its next one
        c = agent.checkpoint(primary, epoch, null);
      }
      Commit answer = c;
      Group.CommitOutcome o =
          group.onTurn(
              () -> {
                lastAttempted = Math.max(lastAttempted, answer.sequence());
                Group.CommitOutcome done = group.commitOnTurn(answer);
                taken++;
                failuresInARow = 0;
                return done;
              });
      succeeded(epoch, c.sequence(), primary, o.applied());
    } catch (AgentCheckpointException e) {
      failed(epoch, seq, primary, e.problem(), e.getMessage());
    } catch (RuntimeException e) {
      // the commit was refused: a failover or reconfiguration changed the epoch meanwhile
      failed(epoch, seq, primary, "commit-refused", e.toString());
    } finally {
      turn.execute(() -> running = false);
    }
  }

  private void succeeded(long epoch, long seq, ReplicaRef primary, boolean applied) {
    group.metrics().selfCheckpoint(true);
    log.info(
        "group {}: self-checkpoint {} of {} in epoch {} committed{}",
        group.name(),
        seq,
        primary,
        epoch,
        applied ? "" : " (a newer commit was there first)");
    group
        .events()
        .append(
            id ->
                new ProxyEvent.SelfCheckpoint(
                    id,
                    ProxyEventType.SELF_CHECKPOINT,
                    group.name(),
                    Instant.now(),
                    epoch,
                    seq,
                    primary.toString(),
                    applied));
  }

  private void failed(long epoch, long seq, ReplicaRef primary, String problem, String detail) {
    long wait;
    try {
      wait =
          group.onTurn(
              () -> {
                failed++;
                failuresInARow++;
                long min = Math.max(1, cfg.minInterval().toNanos());
                long w = Math.min(cfg.maxBackoff().toNanos(), min << Math.min(failuresInARow, 20));
                notBefore = System.nanoTime() + w;
                throttled = true;
                return w;
              });
    } catch (RuntimeException e) {
      return; // the group was deleted meanwhile
    }
    group.metrics().selfCheckpoint(false);
    log.warn(
        "group {}: self-checkpoint {} of {} in epoch {} failed ({}); the output stays held, again"
            + " in {} ms: {}",
        group.name(),
        seq,
        primary,
        epoch,
        problem,
        wait / 1_000_000,
        detail);
    ProxyEvent e =
        group
            .events()
            .append(
                id ->
                    new ProxyEvent.SelfCheckpointFailed(
                        id,
                        ProxyEventType.SELF_CHECKPOINT_FAILED,
                        group.name(),
                        Instant.now(),
                        epoch,
                        seq,
                        primary.toString(),
                        problem,
                        detail,
                        true));
    turn.execute(
        () -> {
          if (requestedAt.get() != NONE) {
            group.events().pending(e); // unless a commit answered the request meanwhile
          }
        });
  }

  long taken() {
    return taken;
  }

  long failed() {
    return failed;
  }

  /** Ticks at which a request waited because a coordinator follows the group (tests). */
  long waitedForCoordinator() {
    return waitedForCoordinator;
  }
}
