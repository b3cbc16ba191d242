package dev.coloha.coordinator.group;

import dev.coloha.api.ErrorKind;
import dev.coloha.api.agent.CheckpointResult;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.ProxyClient;
import dev.coloha.coordinator.remote.UnreachableException;
import dev.coloha.coordinator.store.CoordinatorStore;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Checkpoints of the groups: captured on the primary (acknowledged by its secondary), then
 * committed at the proxy. Keeps per group the highest number attempted: numbers rise strictly,
 * failed attempts included (the primary marked a disk barrier for each).
 */
final class Checkpoints {
  private final CoordinatorStore store;
  private final AgentClient agents;
  private final ProxyClient proxies;
  private final CoordinatorMetrics metrics;
  private final Clock clock;
  private final Map<String, Long> attempted = new java.util.concurrent.ConcurrentHashMap<>();

  Checkpoints(
      CoordinatorStore store,
      AgentClient agents,
      ProxyClient proxies,
      CoordinatorMetrics metrics,
      Clock clock) {
    this.store = store;
    this.agents = agents;
    this.proxies = proxies;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** The group starts again from the agent's numbers (both replicas lost, or deleted). */
  void forget(String groupId) {
    attempted.remove(groupId);
  }

  /** Checkpoint on the primary, committed at the proxy. Returns the group with the new sequence. */
  Group checkpoint(Group g, String reason) {
    return checkpoint(g, reason, () -> false);
  }

  /**
   * Checkpoint on the primary, committed at the proxy, giving up the wait for the primary's answer
   * as soon as {@code primaryGone} says so (its heartbeats stopped and a probe failed): a primary
   * cut off by the network answers nothing, and the failover must not wait for the full checkpoint
   * timeout.
   */
  Group checkpoint(Group g, String reason, BooleanSupplier primaryGone) {
    long t0 = System.nanoTime();
    CheckpointResult c = capture(g, primaryGone);
    return commit(g, reason, c, t0);
  }

  /**
   * Commits the acknowledged checkpoint {@code c} at the proxy (it releases the output it covers)
   * and persists the group with it; {@code t0} is when its capture began (for the metrics).
   */
  Group commit(Group g, String reason, CheckpointResult c, long t0) {
    proxies.commit(g.proxyUrl(), g.id(), g.epoch(), c.commit());
    metrics.checkpoint(g.id(), reason, System.nanoTime() - t0, c);
    Group done = g.withCheckpoint(c.sequence(), clock.instant());
    store.save(done);
    return done;
  }

  /**
   * The primary's half of a checkpoint: captured, sent and acknowledged by the secondary, not yet
   * committed at the proxy.
   */
  CheckpointResult capture(Group g, BooleanSupplier primaryGone) {
    Replica p = g.primary();
    // the whole exchange, the catch-up of a count that fell behind included, is given up as soon
    // as primaryGone says so (the calls go on beside, their result dropped)
    return abandonable(
        () -> captureAt(g, p),
        primaryGone,
        AgentClient.target(p.agentUrl()),
        "POST /v1/vms/" + p.vm() + "/checkpoint");
  }

  private CheckpointResult captureAt(Group g, Replica p) {
    // sequences strictly rise, failed attempts included: the primary marked disk barrier n for an
    // attempt that failed, and a barrier is never marked twice
    long seq = Math.max(g.lastCheckpoint(), attempted.getOrDefault(g.id(), -1L)) + 1;
    CheckpointResult c;
    attempted.merge(g.id(), seq, Math::max);
    try {
      c = agents.checkpoint(p.agentUrl(), p.vm(), g.epoch(), seq);
    } catch (dev.coloha.coordinator.remote.RemoteException e) {
      if (e.answered(ErrorKind.CHECKPOINT_MISMATCH)) {
        // our count fell behind the agent's (after a coordinator restart, or checkpoints the
        // proxy took itself while no coordinator decided: docs/proxy.md "Self-checkpoints"):
        // catch up, retry
        long agentLast = agents.replication(p.agentUrl(), p.vm()).lastCheckpoint();
        seq = Math.max(seq, agentLast) + 1;
        attempted.merge(g.id(), seq, Math::max);
        try {
          c = agents.checkpoint(p.agentUrl(), p.vm(), g.epoch(), seq);
        } catch (dev.coloha.coordinator.remote.RemoteException again) {
          if (!again.answered(ErrorKind.CHECKPOINT_MISMATCH)) {
            throw again;
          }
          // the agent attempted a higher number that failed (its disk barrier is marked, so the
          // number is never used again; its lastCheckpoint counts only acknowledged ones): the
          // agent takes its own next number
          c = agents.checkpointNext(p.agentUrl(), p.vm(), g.epoch());
        }
        attempted.merge(g.id(), Math.max(seq, c.sequence()), Math::max);
      } else {
        throw e;
      }
    }
    return c;
  }

  /**
   * Runs {@code call} on a virtual thread and waits for it, polling {@code giveUp} every 50 ms;
   * when it says so, stops waiting with an {@link UnreachableException} (the call itself goes on,
   * its result is dropped). Exceptions of the call are rethrown as they are.
   */
  static <T> T abandonable(Supplier<T> call, BooleanSupplier giveUp, String target, String what) {
    CompletableFuture<T> f = CompletableFuture.supplyAsync(call, r -> Thread.ofVirtual().start(r));
    while (true) {
      try {
        return f.get(50, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (giveUp.getAsBoolean()) {
          throw new UnreachableException(
              target,
              what,
              new TimeoutException("gave up waiting: the host stopped beating and a probe failed"));
        }
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }
}
