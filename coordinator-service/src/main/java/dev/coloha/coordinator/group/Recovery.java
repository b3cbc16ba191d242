package dev.coloha.coordinator.group;

import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.MirrorClient;
import dev.coloha.coordinator.remote.ProxyClient;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group's recoveries from a lost replica, each idempotent so that a coordinator restart can
 * resume it, and each persisting its new epoch before anyone is told: fail over to the secondary,
 * carry on without the secondary, restart from the last primary's volume when both are lost. (A
 * lost proxy is {@link ProxyRestore}'s.) Called by the group's worker only (through {@link
 * GroupOperations}).
 */
final class Recovery {
  private static final Logger log = LoggerFactory.getLogger(Recovery.class);

  private final GroupOperations ops;
  private final Checkpoints checkpoints;
  private final AgentClient agents;
  private final MirrorClient mirrors;
  private final ProxyClient proxies;
  private final CoordinatorMetrics metrics;
  private final CoordinatorSettings props;
  private volatile EpochFaultPoint faults = EpochFaultPoint.NONE;

  Recovery(
      GroupOperations ops,
      Checkpoints checkpoints,
      AgentClient agents,
      MirrorClient mirrors,
      ProxyClient proxies,
      CoordinatorMetrics metrics,
      CoordinatorSettings props) {
    this.ops = ops;
    this.checkpoints = checkpoints;
    this.agents = agents;
    this.mirrors = mirrors;
    this.proxies = proxies;
    this.metrics = metrics;
    this.props = props;
  }

  void faults(EpochFaultPoint f) {
    this.faults = f;
  }

  /**
   * Tells the proxy about a new epoch; false if it does not serve the group (it is down, or lost
   * its groups): the group is then UNSERVED and restored as soon as the proxy answers.
   */
  private boolean tellProxy(Group g, Runnable call) {
    try {
      call.run();
      return true;
    } catch (RuntimeException e) {
      FailureAttribution.Culprit who = FailureAttribution.of(e, g);
      if (who == FailureAttribution.Culprit.PROXY_WITHOUT_GROUP
          || who == FailureAttribution.Culprit.PROXY_DOWN) {
        log.warn("group {}: the proxy does not serve it: {}", g.id(), e.getMessage());
        return false;
      }
      throw e;
    }
  }

  // ---- failover ------------------------------------------------------------------------------

  /**
   * Fails over to the secondary: the new epoch is persisted first (fencing), then the secondary is
   * promoted, its disk takes over, and the proxy switches to it.
   */
  Group failover(Group g, String reason) {
    long t0 = System.nanoTime();
    Replica oldPrimary = g.primary();
    Replica next = g.secondary();
    if (next == null) {
      return ops.save(
          g.with(GroupState.FAILED, "primary lost with no secondary: " + reason), "failed", reason);
    }
    if (g.state() != GroupState.FAILING_OVER) {
      g =
          ops.save(
              g.withEpoch(g.epoch() + 1).with(GroupState.FAILING_OVER, reason),
              "failover",
              "epoch " + (g.epoch() + 1) + ": " + reason);
    }
    long persisted = System.nanoTime();
    faults.reached(EpochFaultPoint.EPOCH_PERSISTED);
    agents.promote(next.agentUrl(), next.vm(), g.epoch());
    long promoted = System.nanoTime();
    if (next.volume() != null) {
      mirrors.failover(next.mirrorUrl(), next.volume(), g.epoch());
    }
    long diskDone = System.nanoTime();
    Group failing = g;
    boolean served =
        tellProxy(
            g,
            () ->
                proxies.failover(
                    failing.proxyUrl(), failing.id(), failing.epoch(), Pairing.endpoint(next)));
    long proxyDone = System.nanoTime();
    List<Replica> orphans = new ArrayList<>(g.orphans());
    if (oldPrimary != null) {
      orphans.add(oldPrimary);
    }
    Group after =
        g.withReplicas(next, null)
            .withDiskEpoch(g.epoch())
            .withOrphans(orphans)
            .withCounters(g.counters().failover())
            .with(
                served ? GroupState.DEGRADED : GroupState.UNSERVED,
                "failed over from "
                    + (oldPrimary == null ? "?" : oldPrimary.host())
                    + ": "
                    + reason);
    long nanos = System.nanoTime() - t0;
    metrics.failover(g.id(), nanos);
    log.info(
        "group {} failed over to {} in epoch {} ({} ms: epoch persisted {} ms, promoted {} ms,"
            + " disk {} ms, proxy {} ms): {}",
        g.id(),
        next.host(),
        g.epoch(),
        nanos / 1_000_000,
        (persisted - t0) / 1_000_000,
        (promoted - persisted) / 1_000_000,
        (diskDone - promoted) / 1_000_000,
        (proxyDone - diskDone) / 1_000_000,
        reason);
    return ops.save(
        after, "failed-over", "new primary " + next.host() + " in " + nanos / 1_000_000 + " ms");
  }

  /**
   * The secondary is gone: the primary carries on alone in a new epoch (which fences the old
   * secondary off), the proxy releases its output without comparing, re-protection follows.
   */
  Group secondaryLost(Group g, String reason) {
    Replica lost = g.secondary();
    if (lost == null) {
      return g;
    }
    long t0 = System.nanoTime();
    // one transition, persisted once: the new epoch (it fences the lost secondary) with the
    // primary alone, before the proxy is told
    List<Replica> orphans = new ArrayList<>(g.orphans());
    orphans.add(lost);
    g =
        ops.save(
            g.withEpoch(g.epoch() + 1)
                .withReplicas(g.primary(), null)
                .withOrphans(orphans)
                .with(GroupState.DEGRADED, "secondary lost: " + reason),
            "secondary-lost",
            reason + "; running on " + g.primary().host() + " alone in epoch " + (g.epoch() + 1));
    long persisted = System.nanoTime();
    faults.reached(EpochFaultPoint.EPOCH_PERSISTED);
    Group alone = g;
    if (!tellProxy(
        g,
        () ->
            proxies.failover(
                alone.proxyUrl(), alone.id(), alone.epoch(), Pairing.endpoint(alone.primary())))) {
      return ops.save(
          g.with(GroupState.UNSERVED, "the proxy does not serve it"),
          "proxy-lost-group",
          "after the secondary was lost");
    }
    long done = System.nanoTime();
    log.info(
        "group {} runs alone on {} in epoch {} ({} ms: epoch persisted {} ms, proxy {} ms): {}",
        g.id(),
        g.primary().host(),
        g.epoch(),
        (done - t0) / 1_000_000,
        (persisted - t0) / 1_000_000,
        (done - persisted) / 1_000_000,
        reason);
    return g;
  }

  // ---- both replicas lost: restart from the surviving volume -----------------------------------

  /**
   * Both replicas are lost: their VMs are gone (a primary whose agent answers without it, or whose
   * host is lost, with no secondary to fail over to; a failover whose secondary is gone too). With
   * a disk, the group restarts from the last primary's volume: one transition, persisted once in a
   * new epoch ({@code RESTARTING}; a failover that could not promote has persisted its epoch
   * already, and nobody acted on it, so it is used), the disk epoch with it, the old secondary an
   * orphan. The last primary's volume is the one to keep: it holds every write the primary made,
   * hence every write a client's released reply depended on (output is released after the writes
   * before it reached the primary's disk); the secondary's holds only the last committed
   * checkpoint. Without a disk nothing survives both VMs: FAILED.
   */
  Group bothLost(Group g, String reason) {
    Replica p = g.primary();
    if (p == null || p.volume() == null) {
      return ops.save(
          g.with(GroupState.FAILED, reason + " (no synced secondary, no volume to restart from)"),
          "failed",
          reason);
    }
    long epoch =
        g.state() == GroupState.FAILING_OVER || g.state() == GroupState.RESTARTING
            ? g.epoch()
            : g.epoch() + 1;
    List<Replica> orphans = new ArrayList<>(g.orphans());
    if (g.secondary() != null && !orphans.contains(g.secondary())) {
      orphans.add(g.secondary());
    }
    checkpoints.forget(g.id());
    ops.forgetReusableEpoch(g.id());
    log.warn(
        "group {}: both replicas lost ({}); restarting from the volume on {} in epoch {}",
        g.id(),
        reason,
        p.host(),
        epoch);
    Group restarting =
        ops.save(
            g.withEpoch(epoch)
                .withDiskEpoch(epoch)
                .withReplicas(p, null)
                .withOrphans(orphans)
                .with(
                    GroupState.RESTARTING,
                    "both replicas lost ("
                        + reason
                        + "): restarting from the volume on "
                        + p.host()),
            "both-lost",
            "epoch " + epoch + ": restarting from the last primary's volume on " + p.host());
    faults.reached(EpochFaultPoint.EPOCH_PERSISTED);
    return restarting;
  }

  /**
   * Starts a {@code RESTARTING} group's new primary VM from its volume: once the host's agent and
   * mirror answer, and the volume is there (else FAILED: nothing survives), a VM is created on the
   * volume in the group's epoch (it boots from its disk: the guest replays what it keeps there; its
   * memory state died with both replicas) and the proxy gets the group anew in that epoch (its
   * client connections ended: the VM that had them is gone). Returns the group DEGRADED (or
   * UNSERVED if the proxy does not answer), re-protection follows; unchanged while the host does
   * not answer yet. Every step is idempotent.
   */
  Group restartFromVolume(Group g) {
    Replica p = g.primary();
    if (!agents.ready(p.agentUrl(), props.probeTimeout())
        || !mirrors.ready(p.mirrorUrl(), props.probeTimeout())) {
      return g;
    }
    try {
      mirrors.volumeState(p.mirrorUrl(), p.volume());
    } catch (dev.coloha.coordinator.remote.RemoteException e) {
      if (e.status() != 404) {
        throw e;
      }
      String why = "no volume of the group survives on " + p.host() + "'s mirror";
      return ops.save(g.with(GroupState.FAILED, why), "failed", why);
    }
    ops.startPrimaryVm(g, p);
    boolean served =
        tellProxy(
            g,
            () -> {
              proxies.delete(g.proxyUrl(), g.id());
              Pairing.serveAlone(proxies, g, p);
            });
    String detail =
        "restarted from its volume on "
            + p.host()
            + " in epoch "
            + g.epoch()
            + " (both replicas were lost: the disk survives, the memory state does not)";
    log.info("group {}: {}", g.id(), detail);
    return ops.save(
        g.with(served ? GroupState.DEGRADED : GroupState.UNSERVED, detail), "restarted", detail);
  }

  /**
   * A re-protection the coordinator's restart interrupted: the half-made secondary is an orphan
   * (deleted once its host answers, unless the next attempt picks that host again and starts it
   * afresh), and the group pairs again as a DEGRADED one would.
   */
  static Group interruptedPairing(Group g) {
    Replica s = g.secondary();
    Group alone = g.withReplicas(g.primary(), null);
    if (s == null || g.orphans().contains(s)) {
      return alone;
    }
    List<Replica> orphans = new ArrayList<>(g.orphans());
    orphans.add(s);
    return alone.withOrphans(orphans);
  }
}
