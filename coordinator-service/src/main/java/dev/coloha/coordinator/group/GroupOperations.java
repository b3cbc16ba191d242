package dev.coloha.coordinator.group;

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
import dev.coloha.coordinator.store.CoordinatorStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's procedures on one group, each idempotent so that it can be resumed after a
 * coordinator restart: place and create replicas, pair them ({@link Pairing}), checkpoint ({@link
 * Checkpoints}), fail over and the other recoveries ({@link Recovery}), give a proxy its groups
 * back ({@link ProxyRestore}), re-protect, clean up old replicas ({@link Orphans}), delete. Every
 * state change, and above all every new epoch, is persisted before the agents act on it. Called by
 * the group's worker only (one at a time).
 */
final class GroupOperations {
  private static final Logger log = LoggerFactory.getLogger(GroupOperations.class);

  private final CoordinatorStore store;
  private final HostRegistry hosts;
  private final AgentClient agents;
  private final MirrorClient mirrors;
  private final ProxyClient proxies;
  private final GroupEvents events;
  private final CoordinatorSettings props;
  private final Clock clock;
  private final Supplier<Collection<Group>> allGroups;
  private final Leftovers leftovers;
  private final Checkpoints checkpoints;
  private final Pairing pairing;
  private final Recovery recovery;
  private final ProxyRestore proxyRestore;
  private final Orphans orphans;
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
      CoordinatorSettings props,
      Clock clock,
      Supplier<Collection<Group>> allGroups,
      Leftovers leftovers) {
    this.store = store;
    this.hosts = hosts;
    this.agents = agents;
    this.mirrors = mirrors;
    this.proxies = proxies;
    this.events = events;
    this.props = props;
    this.clock = clock;
    this.allGroups = allGroups;
    this.leftovers = leftovers;
    this.orphans = new Orphans(store, hosts, agents, mirrors);
    this.pairing = new Pairing(agents, mirrors, proxies, props, clock);
    this.checkpoints = new Checkpoints(store, agents, proxies, metrics, clock);
    this.recovery = new Recovery(this, checkpoints, agents, mirrors, proxies, metrics, props);
    this.proxyRestore = new ProxyRestore(this, checkpoints, agents, proxies, props, clock);
  }

  /** Arms a fault point (tests only). */
  void faults(EpochFaultPoint f) {
    this.faults = f;
    recovery.faults(f);
  }

  /**
   * Persists the group and tells subscribers; a state that begins here is stamped with the time
   * ({@link Group#since()}).
   */
  Group save(Group g, String kind, String detail) {
    if (g.since() == null) {
      g = g.withSince(clock.instant());
    }
    // the group and its history event in one write of the store
    events.publish(
        new GroupEvent(clock.instant(), g.id(), kind, g.epoch(), g.state().name(), detail), g);
    return g;
  }

  /**
   * Creates the group's primary VM on {@code p} (on its volume when the group has a disk: a new one
   * at placement, the last primary's at a restart from it) and starts it.
   */
  void startPrimaryVm(Group g, Replica p) {
    agents.createVm(p.agentUrl(), Pairing.vm(g, p, true));
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
      Pairing.serveAlone(proxies, g, p);
      return save(
          g.with(GroupState.DEGRADED, "no second host for a secondary"),
          "state",
          "running unprotected");
    }
    g =
        save(
            g.with(GroupState.SYNCING, "initial sync"), "state", "syncing " + g.secondary().host());
    g = pairing.pair(g, g.secondary());
    return save(
        g.with(GroupState.PROTECTED, null),
        "state",
        "protected: primary " + g.primary().host() + ", secondary " + g.secondary().host());
  }

  // ---- checkpoints and recoveries: Checkpoints, Recovery, ProxyRestore --------------------------

  /** Checkpoints of the group: {@link Checkpoints}. */
  Checkpoints checkpoints() {
    return checkpoints;
  }

  Group restoreProxy(Group g) {
    return proxyRestore.restoreProxy(g);
  }

  Group failover(Group g, String reason) {
    return recovery.failover(g, reason);
  }

  Group secondaryLost(Group g, String reason) {
    return recovery.secondaryLost(g, reason);
  }

  Group reconcileDegraded(Group g) {
    return proxyRestore.reconcileDegraded(g);
  }

  Group bothLost(Group g, String reason) {
    return recovery.bothLost(g, reason);
  }

  Group restartFromVolume(Group g) {
    return recovery.restartFromVolume(g);
  }

  /** The epoch of a failed re-protection is no longer reusable (the group starts anew). */
  void forgetReusableEpoch(String groupId) {
    reusableEpoch.remove(groupId);
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
      g = pairing.pair(g, s);
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

  /** Deletes replicas of earlier epochs on hosts that answer again: {@link Orphans}. */
  Group cleanOrphans(Group g) {
    return orphans.clean(g);
  }

  /**
   * Deletes every replica and the proxy's service, then the group. A service that does not answer
   * now is swept when it beats again ({@link Leftovers}): the group is gone, so whatever it still
   * holds of it is removed then.
   */
  void delete(Group g) {
    checkpoints.forget(g.id());
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
}
