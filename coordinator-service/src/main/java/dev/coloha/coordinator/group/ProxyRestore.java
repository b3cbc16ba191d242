package dev.coloha.coordinator.group;

import dev.coloha.api.Offset;
import dev.coloha.api.agent.CheckpointResult;
import dev.coloha.api.agent.VmView;
import dev.coloha.api.proxy.GroupRequests;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.ProxyClient;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group's proxy brought back to what the coordinator persisted: the group given again to a proxy
 * that was restarted or unreachable, and a proxy that still serves an older epoch (the coordinator
 * died between persisting a lost secondary's epoch and telling it) told the persisted one. Each
 * idempotent; the epoch stays. Called by the group's worker only (through {@link GroupOperations}).
 */
final class ProxyRestore {
  private static final Logger log = LoggerFactory.getLogger(ProxyRestore.class);

  private final GroupOperations ops;
  private final Checkpoints checkpoints;
  private final AgentClient agents;
  private final ProxyClient proxies;
  private final CoordinatorSettings props;
  private final Clock clock;

  ProxyRestore(
      GroupOperations ops,
      Checkpoints checkpoints,
      AgentClient agents,
      ProxyClient proxies,
      CoordinatorSettings props,
      Clock clock) {
    this.ops = ops;
    this.checkpoints = checkpoints;
    this.agents = agents;
    this.proxies = proxies;
    this.props = props;
    this.clock = clock;
  }

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
      return ops.save(g.with(back, null), "proxy-serves", "the proxy serves it in epoch " + served);
    }
    Replica p = g.primary();
    GroupRequests.Sync sync = null;
    Map<Integer, Long> consumed = new java.util.HashMap<>();
    if (g.secondary() != null) {
      CheckpointResult c = checkpoints.capture(g, () -> false);
      c.inputOffsets().forEach(o -> consumed.put(o.conn(), o.offset()));
      sync =
          new GroupRequests.Sync(
              c.sequence(), c.outputOffsets(), c.inputOffsets(), c.closedConnections());
      g = g.withCheckpoint(c.sequence(), clock.instant());
    }
    if (served < 0) {
      VmView conns = agents.vm(p.agentUrl(), p.vm());
      int highest = conns.highestConnection();
      Set<Integer> open = new java.util.TreeSet<>(conns.openConnections());
      if (g.secondary() != null) {
        VmView s = agents.vm(g.secondary().agentUrl(), g.secondary().vm());
        highest = Math.max(highest, s.highestConnection());
        open.addAll(s.openConnections());
      }
      List<Offset> lost = new ArrayList<>();
      for (int conn : open) {
        highest = Math.max(highest, conn);
        lost.add(new Offset(conn, consumed.getOrDefault(conn, 0L)));
      }
      Pairing.configureProxy(
          proxies, g, p, g.secondary(), sync, new GroupRequests.Resume(highest + 1, lost));
      log.info(
          "group {}: the proxy serves it again in epoch {} ({} lost connection(s) ended)",
          g.id(),
          g.epoch(),
          lost.size());
    } else if (g.secondary() == null) {
      proxies.failover(url, g.id(), g.epoch(), Pairing.endpoint(p));
    } else {
      Pairing.configureProxy(proxies, g, p, g.secondary(), sync, null);
    }
    return ops.save(
        g.with(back, null), "proxy-restored", "the proxy serves it again in epoch " + g.epoch());
  }

  /**
   * A DEGRADED group after a coordinator restart: the proxy is made to match what is persisted. The
   * coordinator may have died after persisting a lost secondary's epoch ({@link
   * EpochFaultPoint#EPOCH_PERSISTED}) and before telling the proxy, which then still serves the
   * group in the older epoch, comparing with the dropped secondary (holding the primary's output
   * for a secondary that no longer answers) until the next re-protection. If the proxy serves the
   * group in an older epoch, it is told again what {@link Recovery#secondaryLost} tells it: the
   * primary alone, in the persisted epoch. Nothing is done when it serves the group in that epoch
   * already, nor when it does not serve it at all (the group's event stream finds it {@code
   * UNSERVED}, and the proxy's restore gives it back). A proxy that does not answer (or fails the
   * call) leaves the group {@code UNSERVED}, same epoch: its restore, with backoff, asks again and
   * tells it.
   */
  Group reconcileDegraded(Group g) {
    if (g.primary() == null) {
      return g;
    }
    long served;
    try {
      served = proxies.servedEpoch(g.proxyUrl(), g.id(), props.probeTimeout());
    } catch (RuntimeException e) {
      return unknownToTheProxy(g, e.getMessage());
    }
    if (served < 0 || served >= g.epoch()) {
      return g;
    }
    Replica p = g.primary();
    try {
      proxies.failover(g.proxyUrl(), g.id(), g.epoch(), Pairing.endpoint(p));
    } catch (RuntimeException e) {
      return unknownToTheProxy(g, e.getMessage());
    }
    log.info(
        "group {}: the proxy served it in epoch {}, told again: {} alone in epoch {}",
        g.id(),
        served,
        p.host(),
        g.epoch());
    return ops.save(
        g,
        "proxy-reconciled",
        "the proxy served epoch " + served + ": " + p.host() + " alone in epoch " + g.epoch());
  }

  private Group unknownToTheProxy(Group g, String why) {
    log.info("group {}: the proxy could not be told epoch {} yet ({})", g.id(), g.epoch(), why);
    return ops.save(
        g.with(GroupState.UNSERVED, "the proxy could not be told epoch " + g.epoch()),
        "proxy-lost-group",
        "after a coordinator restart: " + why);
  }
}
