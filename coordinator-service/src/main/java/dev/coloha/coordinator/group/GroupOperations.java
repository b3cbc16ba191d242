package dev.coloha.coordinator.group;

import dev.coloha.coordinator.config.CoordinatorProperties;
import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.events.GroupEvents;
import dev.coloha.coordinator.hosts.HostRegistry;
import dev.coloha.coordinator.hosts.Placement;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Host;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.MirrorClient;
import dev.coloha.coordinator.remote.ProxyClient;
import dev.coloha.coordinator.remote.UnreachableException;
import dev.coloha.coordinator.store.CoordinatorStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's procedures on one group, each idempotent so that it can be resumed after a
 * coordinator restart: place and create replicas, pair them (live initial sync), checkpoint, fail
 * over, re-protect, delete. Every state change, and above all every new epoch, is persisted before
 * the agents act on it. Called by the group's worker only (one at a time).
 */
final class GroupOperations {
  private static final Logger log = LoggerFactory.getLogger(GroupOperations.class);

  private final CoordinatorStore store;
  private final HostRegistry hosts;
  private final AgentClient agents;
  private final MirrorClient mirrors;
  private final ProxyClient proxies;
  private final GroupEvents events;
  private final CoordinatorMetrics metrics;
  private final CoordinatorProperties props;
  private final Clock clock;
  private final Supplier<Collection<Group>> allGroups;
  private final Leftovers leftovers;
  private final Map<String, Long> attempted = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile EpochFaultPoint faults = EpochFaultPoint.NONE;

  /**
   * Per group, the epoch of a re-protection attempt that failed before the proxy heard of it: the
   * next attempt may use it again (nothing outside the agents and mirrors saw that membership, and
   * the new attempt replaces it there), so retries do not consume epochs.
   */
  private final Map<String, Long> reusableEpoch = new java.util.concurrent.ConcurrentHashMap<>();

  GroupOperations(
      CoordinatorStore store,
      HostRegistry hosts,
      AgentClient agents,
      MirrorClient mirrors,
      ProxyClient proxies,
      GroupEvents events,
      CoordinatorMetrics metrics,
      CoordinatorProperties props,
      Clock clock,
      Supplier<Collection<Group>> allGroups,
      Leftovers leftovers) {
    this.store = store;
    this.hosts = hosts;
    this.agents = agents;
    this.mirrors = mirrors;
    this.proxies = proxies;
    this.events = events;
    this.metrics = metrics;
    this.props = props;
    this.clock = clock;
    this.allGroups = allGroups;
    this.leftovers = leftovers;
  }

  /** Arms a fault point (tests only). */
  void faults(EpochFaultPoint f) {
    this.faults = f;
  }

  /**
   * Persists the group and tells subscribers; a state that begins here is stamped with the time
   * ({@link Group#since()}).
   */
  Group save(Group g, String kind, String detail) {
    if (g.since() == null) {
      g = g.withSince(clock.instant());
    }
    store.save(g);
    events.publish(
        new GroupEvent(clock.instant(), g.id(), kind, g.epoch(), g.state().name(), detail));
    return g;
  }

  /**
   * Creates the group's primary VM on {@code p} (on its volume when the group has a disk: a new one
   * at placement, the last primary's at a restart from it) and starts it.
   */
  private void startPrimaryVm(Group g, Replica p) {
    agents.createVm(
        p.agentUrl(),
        p.vm(),
        g.spec().guest(),
        g.spec().memoryBytes(),
        g.spec().diskBytes(),
        disk(g, p),
        true,
        g.spec().launch());
    agents.start(p.agentUrl(), p.vm());
  }

  /** The group as persisted (the truth after a step failed half-way), or {@code g} if gone. */
  Group stored(Group g) {
    return store.group(g.id()).orElse(g);
  }

  // ---- creation and pairing -------------------------------------------------------------------

  private Replica replicaOn(Host h, Group g) {
    boolean disk = g.spec().diskBytes() > 0;
    return new Replica(
        h.name(), h.agentUrl(), disk ? h.mirrorUrl() : null, g.id(), disk ? g.id() : null);
  }

  private Optional<Host> place(Group g, Set<String> exclude) {
    List<Host> live = hosts.live(g.policy().suspectAfter());
    if (g.spec().diskBytes() > 0) {
      // a host whose mirror stopped beating cannot hold a replica's disk: not a candidate
      live =
          live.stream()
              .filter(
                  h ->
                      h.mirrorUrl() != null
                          && hosts.mirrorSilence(h.name()).compareTo(g.policy().suspectAfter())
                              <= 0)
              .toList();
    }
    return Placement.choose(live, allGroups.get(), exclude);
  }

  /**
   * Places a new group and creates its replicas: the primary runs at once; with a second host the
   * secondary is synced and the group becomes PROTECTED, otherwise it stays DEGRADED.
   */
  Group protect(Group g) {
    if (g.proxyUrl() == null) {
      String proxy =
          hosts
              .proxy(g.policy().suspectAfter().plus(props.hostGrace()))
              .map(HostRegistry.ProxyNode::url)
              .orElseThrow(
                  () -> new PlacementException("no proxy has registered with the coordinator"));
      g = g.withProxy(proxy);
    }
    if (g.primary() == null) {
      String id = g.id();
      Host p =
          place(g, Set.of())
              .orElseThrow(() -> new PlacementException("no live host to run group " + id + " on"));
      Host s = place(g, Set.of(p.name())).orElse(null);
      g =
          save(
              g.withReplicas(replicaOn(p, g), s == null ? null : replicaOn(s, g))
                  .with(GroupState.CREATING, "placing"),
              "placed",
              "primary on "
                  + p.name()
                  + (s == null
                      ? ", no second host for a secondary"
                      : ", secondary on " + s.name()));
    }
    Replica p = g.primary();
    if (p.volume() != null) {
      mirrors.createVolume(
          p.mirrorUrl(), p.volume(), g.spec().diskBytes(), "PRIMARY", g.diskEpoch());
    }
    startPrimaryVm(g, p);
    if (g.secondary() == null) {
      proxies.configure(
          g.proxyUrl(),
          g.id(),
          g.epoch(),
          g.spec().bindAddress(),
          g.spec().port(),
          endpoint(p),
          null,
          g.policy().compareTimeout(),
          null);
      return save(
          g.with(GroupState.DEGRADED, "no second host for a secondary"),
          "state",
          "running unprotected");
    }
    g =
        save(
            g.with(GroupState.SYNCING, "initial sync"), "state", "syncing " + g.secondary().host());
    g = pair(g, g.secondary());
    return save(
        g.with(GroupState.PROTECTED, null),
        "state",
        "protected: primary " + g.primary().host() + ", secondary " + g.secondary().host());
  }

  /** The agent's view of a replica's disk: its volume on its host's mirror, in the disk epoch. */
  private static Map<String, Object> disk(Group g, Replica r) {
    return r.volume() == null
        ? null
        : Map.of("url", r.mirrorUrl(), "volume", r.volume(), "epoch", g.diskEpoch());
  }

  private static ProxyClient.Endpoint endpoint(Replica r) {
    return r == null ? null : new ProxyClient.Endpoint(r.agentUrl(), r.vm());
  }

  /**
   * Pairs the primary with {@code s}: creates the secondary VM (and volume, resynced from the
   * primary's), syncs it live, and tells the proxy where the secondary's streams start.
   */
  private Group pair(Group g, Replica s) {
    Replica p = g.primary();
    // a VM of this id on the new secondary's agent is left from an earlier attempt (a pairing that
    // failed and is retried) or membership: start from a fresh one, attached to the fresh volume
    // below (the old VM's disk was the volume deleted there: its sync was refused, volume not
    // found)
    agents.deleteVm(s.agentUrl(), s.vm());
    if (s.volume() != null) {
      // a volume of this id on the new secondary's mirror is left from an older membership (that
      // host was a replica before and its orphan is not cleaned yet): start from a fresh one, the
      // resync copies the whole disk anyway
      mirrors.deleteVolume(s.mirrorUrl(), s.volume());
      mirrors.createVolume(
          s.mirrorUrl(), s.volume(), g.spec().diskBytes(), "SECONDARY", g.diskEpoch());
      mirrors.resync(p.mirrorUrl(), p.volume(), s.mirrorUrl(), s.volume());
      // the disk first: the secondary's checkpoints commit disk barriers, which must reach it
      awaitDiskReplicating(g, p);
    }
    agents.createVm(
        s.agentUrl(),
        s.vm(),
        g.spec().guest(),
        g.spec().memoryBytes(),
        g.spec().diskBytes(),
        disk(g, s),
        false,
        g.spec().launch());
    agents.becomeSecondary(s.agentUrl(), s.vm(), g.epoch());
    agents.becomePrimary(p.agentUrl(), p.vm(), g.epoch(), s.agentUrl(), s.vm());
    AgentClient.Replication synced = awaitSync(g, p);
    Map<String, Object> sync =
        synced.sync() == null
            ? null
            : Map.of(
                "sequence", synced.sync().sequence(),
                "outputOffsets", synced.sync().outputOffsets(),
                "inputOffsets", synced.sync().inputOffsets(),
                "closedConnections", List.of());
    proxies.configure(
        g.proxyUrl(),
        g.id(),
        g.epoch(),
        g.spec().bindAddress(),
        g.spec().port(),
        endpoint(p),
        endpoint(s),
        g.policy().compareTimeout(),
        sync);
    return g.withCheckpoint(synced.syncSequence(), clock.instant()).withCounters(g.counters());
  }

  private void awaitDiskReplicating(Group g, Replica p) {
    Instant deadline = clock.instant().plus(props.syncTimeout());
    while (true) {
      MirrorClient.VolumeState v = mirrors.volumeState(p.mirrorUrl(), p.volume());
      if ("REPLICATING".equals(v.state())) {
        return;
      }
      if ("DEGRADED".equals(v.state()) || "FENCED".equals(v.state())) {
        throw new PairingException(
            "disk resync of group " + g.id() + " failed: " + v.state() + " " + v.reason());
      }
      if (clock.instant().isAfter(deadline)) {
        throw new PairingException(
            "disk resync of group "
                + g.id()
                + " did not finish within "
                + props.syncTimeout()
                + " (volume "
                + v.state()
                + ")");
      }
      sleep(Duration.ofMillis(50));
    }
  }

  private AgentClient.Replication awaitSync(Group g, Replica p) {
    Instant deadline = clock.instant().plus(props.syncTimeout());
    while (true) {
      AgentClient.Replication r = agents.replication(p.agentUrl(), p.vm());
      if ("PROTECTED".equals(r.state()) && r.epoch() == g.epoch()) {
        return r;
      }
      if ("DEGRADED".equals(r.state()) || "RESYNC_REQUIRED".equals(r.state())) {
        throw new PairingException("initial sync of group " + g.id() + " failed: " + r.reason());
      }
      if (clock.instant().isAfter(deadline)) {
        throw new PairingException(
            "initial sync of group " + g.id() + " did not finish within " + props.syncTimeout());
      }
      sleep(Duration.ofMillis(50));
    }
  }

  // ---- checkpoints ----------------------------------------------------------------------------

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
    AgentClient.Checkpoint c = capture(g, primaryGone);
    return commit(g, reason, c, t0);
  }

  /**
   * Commits the acknowledged checkpoint {@code c} at the proxy (it releases the output it covers)
   * and persists the group with it; {@code t0} is when its capture began (for the metrics).
   */
  Group commit(Group g, String reason, AgentClient.Checkpoint c, long t0) {
    proxies.commit(
        g.proxyUrl(),
        g.id(),
        g.epoch(),
        c.sequence(),
        c.outputOffsets(),
        c.inputOffsets(),
        c.closedConnections());
    metrics.checkpoint(g.id(), reason, System.nanoTime() - t0, c);
    Group done = g.withCheckpoint(c.sequence(), clock.instant());
    store.save(done);
    return done;
  }

  /**
   * The primary's half of a checkpoint: captured, sent and acknowledged by the secondary, not yet
   * committed at the proxy.
   */
  AgentClient.Checkpoint capture(Group g, BooleanSupplier primaryGone) {
    Replica p = g.primary();
    // sequences strictly rise, failed attempts included: the primary marked disk barrier n for an
    // attempt that failed, and a barrier is never marked twice
    long seq = Math.max(g.lastCheckpoint(), attempted.getOrDefault(g.id(), -1L)) + 1;
    AgentClient.Checkpoint c;
    attempted.put(g.id(), seq);
    try {
      long first = seq;
      c =
          abandonable(
              () -> agents.checkpoint(p.agentUrl(), p.vm(), g.epoch(), first),
              primaryGone,
              AgentClient.target(p.agentUrl()),
              "POST /v1/vms/" + p.vm() + "/checkpoint");
    } catch (dev.coloha.coordinator.remote.RemoteException e) {
      if (e.problem().equals("checkpoint-mismatch")) {
        // our count fell behind the agent's (after a coordinator restart, or checkpoints the
        // proxy took itself while no coordinator decided: docs/proxy.md "Self-checkpoints"):
        // catch up, retry
        long agentLast = agents.replication(p.agentUrl(), p.vm()).lastCheckpoint();
        seq = Math.max(seq, agentLast) + 1;
        attempted.put(g.id(), seq);
        try {
          c = agents.checkpoint(p.agentUrl(), p.vm(), g.epoch(), seq);
        } catch (dev.coloha.coordinator.remote.RemoteException again) {
          if (!again.problem().equals("checkpoint-mismatch")) {
            throw again;
          }
          // the agent attempted a higher number that failed (its disk barrier is marked, so the
          // number is never used again; its lastCheckpoint counts only acknowledged ones): the
          // agent takes its own next number
          c = agents.checkpointNext(p.agentUrl(), p.vm(), g.epoch());
        }
        attempted.put(g.id(), Math.max(seq, c.sequence()));
      } else {
        throw e;
      }
    }
    return c;
  }

  // ---- the proxy --------------------------------------------------------------------------------

  /**
   * Gives the proxy the group again (it was restarted, or was unreachable): if it serves the group
   * in its epoch already, nothing is done; otherwise it gets the listener, the epoch, the replicas
   * and, with a secondary, a checkpoint taken now as the sync point, plus the connections the
   * replicas still have (the clients it lost: ended on both replicas) and the first connection id
   * to give. The epoch stays: nothing needs fencing, the replicas are the same. The group goes back
   * to PROTECTED (DEGRADED without a secondary).
   *
   * @throws RuntimeException if the proxy does not answer yet (the worker tries again)
   */
  Group restoreProxy(Group g) {
    String url = g.proxyUrl();
    long served = proxies.servedEpoch(url, g.id(), props.probeTimeout());
    proxies.resetBreaker(url);
    GroupState back = g.secondary() != null ? GroupState.PROTECTED : GroupState.DEGRADED;
    if (served == g.epoch()) {
      return save(g.with(back, null), "proxy-serves", "the proxy serves it in epoch " + served);
    }
    Replica p = g.primary();
    Map<String, Object> sync = null;
    Map<Integer, Long> consumed = new java.util.HashMap<>();
    if (g.secondary() != null) {
      AgentClient.Checkpoint c = capture(g, () -> false);
      c.inputOffsets().forEach(o -> consumed.put(o.conn(), o.offset()));
      sync =
          Map.of(
              "sequence", c.sequence(),
              "outputOffsets", c.outputOffsets(),
              "inputOffsets", c.inputOffsets(),
              "closedConnections", c.closedConnections());
      g = g.withCheckpoint(c.sequence(), clock.instant());
    }
    if (served < 0) {
      AgentClient.Connections conns = agents.connections(p.agentUrl(), p.vm());
      int highest = conns.highestConnection();
      Set<Integer> open = new java.util.TreeSet<>(conns.openConnections());
      if (g.secondary() != null) {
        AgentClient.Connections s =
            agents.connections(g.secondary().agentUrl(), g.secondary().vm());
        highest = Math.max(highest, s.highestConnection());
        open.addAll(s.openConnections());
      }
      List<Map<String, Object>> lost = new ArrayList<>();
      for (int conn : open) {
        highest = Math.max(highest, conn);
        lost.add(Map.of("conn", conn, "offset", consumed.getOrDefault(conn, 0L)));
      }
      proxies.configure(
          url,
          g.id(),
          g.epoch(),
          g.spec().bindAddress(),
          g.spec().port(),
          endpoint(p),
          endpoint(g.secondary()),
          g.policy().compareTimeout(),
          sync,
          Map.of("nextConnection", highest + 1, "lostConnections", lost));
      log.info(
          "group {}: the proxy serves it again in epoch {} ({} lost connection(s) ended)",
          g.id(),
          g.epoch(),
          lost.size());
    } else if (g.secondary() == null) {
      proxies.failover(url, g.id(), g.epoch(), endpoint(p));
    } else {
      proxies.configure(
          url,
          g.id(),
          g.epoch(),
          g.spec().bindAddress(),
          g.spec().port(),
          endpoint(p),
          endpoint(g.secondary()),
          g.policy().compareTimeout(),
          sync);
    }
    return save(
        g.with(back, null), "proxy-restored", "the proxy serves it again in epoch " + g.epoch());
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
      return save(
          g.with(GroupState.FAILED, "primary lost with no secondary: " + reason), "failed", reason);
    }
    if (g.state() != GroupState.FAILING_OVER) {
      g =
          save(
              g.withEpoch(g.epoch() + 1).with(GroupState.FAILING_OVER, reason),
              "failover",
              "epoch " + (g.epoch() + 1) + ": " + reason);
    }
    faults.reached(EpochFaultPoint.EPOCH_PERSISTED);
    agents.promote(next.agentUrl(), next.vm(), g.epoch());
    if (next.volume() != null) {
      mirrors.failover(next.mirrorUrl(), next.volume(), g.epoch());
    }
    Group failing = g;
    boolean served =
        tellProxy(
            g,
            () ->
                proxies.failover(
                    failing.proxyUrl(), failing.id(), failing.epoch(), endpoint(next)));
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
        "group {} failed over to {} in epoch {} ({} ms): {}",
        g.id(),
        next.host(),
        g.epoch(),
        nanos / 1_000_000,
        reason);
    return save(
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
    // one transition, persisted once: the new epoch (it fences the lost secondary) with the
    // primary alone, before the proxy is told
    List<Replica> orphans = new ArrayList<>(g.orphans());
    orphans.add(lost);
    g =
        save(
            g.withEpoch(g.epoch() + 1)
                .withReplicas(g.primary(), null)
                .withOrphans(orphans)
                .with(GroupState.DEGRADED, "secondary lost: " + reason),
            "secondary-lost",
            reason + "; running on " + g.primary().host() + " alone in epoch " + (g.epoch() + 1));
    faults.reached(EpochFaultPoint.EPOCH_PERSISTED);
    Group alone = g;
    if (!tellProxy(
        g,
        () ->
            proxies.failover(
                alone.proxyUrl(), alone.id(), alone.epoch(), endpoint(alone.primary())))) {
      return save(
          g.with(GroupState.UNSERVED, "the proxy does not serve it"),
          "proxy-lost-group",
          "after the secondary was lost");
    }
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
      return save(
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
    attempted.remove(g.id());
    reusableEpoch.remove(g.id());
    log.warn(
        "group {}: both replicas lost ({}); restarting from the volume on {} in epoch {}",
        g.id(),
        reason,
        p.host(),
        epoch);
    Group restarting =
        save(
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
      return save(g.with(GroupState.FAILED, why), "failed", why);
    }
    startPrimaryVm(g, p);
    boolean served =
        tellProxy(
            g,
            () -> {
              proxies.delete(g.proxyUrl(), g.id());
              proxies.configure(
                  g.proxyUrl(),
                  g.id(),
                  g.epoch(),
                  g.spec().bindAddress(),
                  g.spec().port(),
                  endpoint(p),
                  null,
                  g.policy().compareTimeout(),
                  null);
            });
    String detail =
        "restarted from its volume on "
            + p.host()
            + " in epoch "
            + g.epoch()
            + " (both replicas were lost: the disk survives, the memory state does not)";
    log.info("group {}: {}", g.id(), detail);
    return save(
        g.with(served ? GroupState.DEGRADED : GroupState.UNSERVED, detail), "restarted", detail);
  }

  // ---- re-protection ---------------------------------------------------------------------------

  /**
   * Syncs a new secondary on another live host. Returns the group unchanged if none is free, and
   * DEGRADED again (the attempted replica an orphan) if the sync fails.
   */
  Group reprotect(Group g) {
    Set<String> exclude = new HashSet<>();
    exclude.add(g.primary().host());
    Optional<Host> h = place(g, exclude);
    if (h.isEmpty()) {
      return g;
    }
    Replica s = replicaOn(h.get(), g);
    // a cheap look first, without a new epoch: a host that registered again may not serve yet,
    // and a restarted service must not inherit its predecessor's open circuit breaker
    if (!agents.ready(s.agentUrl(), props.probeTimeout())
        || (s.mirrorUrl() != null && !mirrors.ready(s.mirrorUrl(), props.probeTimeout()))) {
      log.info("group {}: {} does not answer yet; re-protection waits", g.id(), s.host());
      return g;
    }
    // a new pair is a new membership: a new epoch, persisted first (the proxy refuses a
    // reconfiguration without one, and the old secondary, if it comes back, is fenced); the epoch
    // of an attempt that failed before the proxy heard of it is used again
    Long reusable = reusableEpoch.remove(g.id());
    long epoch = reusable != null && reusable == g.epoch() ? g.epoch() : g.epoch() + 1;
    g =
        save(
            g.withEpoch(epoch)
                .withReplicas(g.primary(), s)
                .with(GroupState.REPROTECTING, "syncing " + s.host()),
            "state",
            "re-protecting on " + s.host() + " in epoch " + epoch);
    faults.reached(EpochFaultPoint.EPOCH_PERSISTED);
    try {
      g = pair(g, s);
    } catch (RuntimeException e) {
      log.warn("group {}: re-protection on {} failed: {}", g.id(), s.host(), e.getMessage());
      FailureAttribution.Culprit who = FailureAttribution.of(e, g);
      if (who != FailureAttribution.Culprit.PROXY_DOWN
          && who != FailureAttribution.Culprit.PROXY_WITHOUT_GROUP
          && !(e instanceof dev.coloha.coordinator.remote.RemoteException r
              && r.target().equals(ProxyClient.target(g.proxyUrl())))) {
        reusableEpoch.put(g.id(), g.epoch());
      }
      List<Replica> orphans = new ArrayList<>(g.orphans());
      orphans.add(s);
      return save(
          g.withReplicas(g.primary(), null)
              .withOrphans(orphans)
              .with(
                  GroupState.DEGRADED,
                  "re-protection on " + s.host() + " failed: " + e.getMessage()),
          "reprotect-failed",
          e.getMessage());
    }
    return save(
        g.withCounters(g.counters().reprotection()).with(GroupState.PROTECTED, null),
        "reprotected",
        "protected again: secondary " + s.host());
  }

  // ---- clean-up ---------------------------------------------------------------------------------

  /** Deletes replicas of earlier epochs on hosts that answer again. */
  Group cleanOrphans(Group g) {
    if (g.orphans().isEmpty()) {
      return g;
    }
    List<Replica> left = new ArrayList<>();
    for (Replica r : g.orphans()) {
      Host h = hosts.host(r.host()).orElse(null);
      boolean current = r.equals(g.primary()) || r.equals(g.secondary());
      if (current) {
        continue;
      }
      if (h == null
          || hosts.silence(r.host()).compareTo(g.policy().suspectAfter()) > 0
          || h.lost()) {
        left.add(r);
        continue;
      }
      try {
        boolean sameVmInUse =
            (g.primary() != null && g.primary().host().equals(r.host()))
                || (g.secondary() != null && g.secondary().host().equals(r.host()));
        if (!sameVmInUse) {
          agents.deleteVm(r.agentUrl(), r.vm());
          if (r.volume() != null) {
            mirrors.deleteVolume(r.mirrorUrl(), r.volume());
          }
        }
        log.info("group {}: removed its old replica on {}", g.id(), r.host());
      } catch (RuntimeException e) {
        left.add(r);
      }
    }
    if (left.size() == g.orphans().size()) {
      return g;
    }
    Group cleaned = g.withOrphans(left);
    store.save(cleaned);
    return cleaned;
  }

  /**
   * Deletes every replica and the proxy's service, then the group. A service that does not answer
   * now is swept when it beats again ({@link Leftovers}): the group is gone, so whatever it still
   * holds of it is removed then.
   */
  void delete(Group g) {
    attempted.remove(g.id());
    save(g.with(GroupState.DELETING, "deleting"), "state", "deleting");
    if (g.proxyUrl() != null) {
      cleanUp("proxy", g.proxyUrl(), g.id(), () -> proxies.delete(g.proxyUrl(), g.id()));
    }
    List<Replica> all = new ArrayList<>(g.orphans());
    if (g.primary() != null) {
      all.add(g.primary());
    }
    if (g.secondary() != null) {
      all.add(g.secondary());
    }
    for (Replica r : all) {
      cleanUp("agent", r.agentUrl(), r.vm(), () -> agents.deleteVm(r.agentUrl(), r.vm()));
      if (r.volume() != null) {
        cleanUp(
            "mirror",
            r.mirrorUrl(),
            r.volume(),
            () -> mirrors.deleteVolume(r.mirrorUrl(), r.volume()));
      }
    }
    store.delete(g.id());
    events.publish(
        new GroupEvent(
            clock.instant(), g.id(), "deleted", g.epoch(), GroupState.DELETING.name(), "deleted"));
  }

  private void cleanUp(String role, String url, String id, Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      leftovers.cleanUpFailed(role, url, id);
      log.warn(
          "clean-up on {} {} failed, retried when it beats again: {}", role, url, e.getMessage());
    }
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
