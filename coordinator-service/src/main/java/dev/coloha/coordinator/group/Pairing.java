package dev.coloha.coordinator.group;

import dev.coloha.api.agent.LinkState;
import dev.coloha.api.agent.ReplicationStatus;
import dev.coloha.api.mirror.VolumeStatus;
import dev.coloha.api.proxy.GroupRequests;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.MirrorClient;
import dev.coloha.coordinator.remote.ProxyClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Pairs a group's primary with a secondary: the secondary's volume resynced from the primary's (the
 * disk first), its VM created, the live sync of memory, and the proxy told where the secondary's
 * streams start. Idempotent: what an earlier attempt left on the new secondary is deleted first.
 */
final class Pairing {
  private final AgentClient agents;
  private final MirrorClient mirrors;
  private final ProxyClient proxies;
  private final CoordinatorSettings props;
  private final Clock clock;

  Pairing(
      AgentClient agents,
      MirrorClient mirrors,
      ProxyClient proxies,
      CoordinatorSettings props,
      Clock clock) {
    this.agents = agents;
    this.mirrors = mirrors;
    this.proxies = proxies;
    this.props = props;
    this.clock = clock;
  }

  /** The agent's view of a replica's disk: its volume on its host's mirror, in the disk epoch. */
  static Map<String, Object> disk(Group g, Replica r) {
    return r.volume() == null
        ? null
        : Map.of("url", r.mirrorUrl(), "volume", r.volume(), "epoch", g.diskEpoch());
  }

  /**
   * Pairs the primary with {@code s}: creates the secondary VM (and volume, resynced from the
   * primary's), syncs it live, and tells the proxy where the secondary's streams start.
   */
  Group pair(Group g, Replica s) {
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
    ReplicationStatus synced = awaitSync(g, p);
    GroupRequests.Sync sync =
        synced.sync() == null
            ? null
            : new GroupRequests.Sync(
                synced.sync().sequence(),
                synced.sync().outputOffsets(),
                synced.sync().inputOffsets(),
                List.of());
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
      VolumeStatus v = mirrors.volumeState(p.mirrorUrl(), p.volume());
      if ("REPLICATING".equals(v.state())) {
        return;
      }
      if ("DEGRADED".equals(v.state()) || "FENCED".equals(v.state())) {
        throw new PairingException(
            "disk resync of group "
                + g.id()
                + " failed: "
                + v.state()
                + " "
                + (v.replication() == null ? null : v.replication().reason()));
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

  private ReplicationStatus awaitSync(Group g, Replica p) {
    Instant deadline = clock.instant().plus(props.syncTimeout());
    while (true) {
      ReplicationStatus r = agents.replication(p.agentUrl(), p.vm());
      if (r.state() == LinkState.PROTECTED && r.epoch() == g.epoch()) {
        return r;
      }
      if (r.state() == LinkState.DEGRADED || r.state() == LinkState.RESYNC_REQUIRED) {
        throw new PairingException("initial sync of group " + g.id() + " failed: " + r.reason());
      }
      if (clock.instant().isAfter(deadline)) {
        throw new PairingException(
            "initial sync of group " + g.id() + " did not finish within " + props.syncTimeout());
      }
      sleep(Duration.ofMillis(50));
    }
  }

  /** Gives the proxy the group with its primary {@code p} alone (no secondary to compare with). */
  static void serveAlone(ProxyClient proxies, Group g, Replica p) {
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
  }

  /** The proxy's endpoint of a replica's VM, or null. */
  static ProxyClient.Endpoint endpoint(Replica r) {
    return r == null ? null : new ProxyClient.Endpoint(r.agentUrl(), r.vm());
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
