package dev.coloha.coordinator.group;

import dev.coloha.api.agent.CreateVmRequest;
import dev.coloha.api.agent.LinkState;
import dev.coloha.api.agent.ReplicationStatus;
import dev.coloha.api.mirror.VolumeStatus;
import dev.coloha.api.proxy.GroupRequests;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.MirrorClient;
import dev.coloha.coordinator.remote.ProxyClient;
import dev.coloha.microvm.WasiLaunch;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

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

  /**
   * What replica {@code r}'s agent is asked to create: a VM of the group's guest, limits and
   * launch, its disk {@code r}'s volume on its host's mirror in the disk epoch (none without a
   * volume). What is empty is not sent.
   */
  static CreateVmRequest vm(Group g, Replica r, boolean start) {
    WasiLaunch launch = g.spec().launch();
    return new CreateVmRequest(
        r.vm(),
        g.spec().guest(),
        g.spec().memoryBytes(),
        g.spec().diskBytes(),
        start,
        r.volume() == null
            ? null
            : new CreateVmRequest.Mirror(r.mirrorUrl(), r.volume(), g.diskEpoch()),
        launch.args().isEmpty() ? null : launch.args(),
        launch.env().isEmpty() ? null : launch.env(),
        launch.inetd() ? launch.network().apiName() : null,
        launch.files().isEmpty() ? null : launch.files());
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
    agents.createVm(s.agentUrl(), vm(g, s, false));
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
    configureProxy(proxies, g, p, s, sync, null);
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
    configureProxy(proxies, g, p, null, null, null);
  }

  /**
   * Gives the proxy the group in its epoch: primary {@code p}, secondary {@code s} (null: none),
   * where the secondary's streams start ({@code sync}, null: none) and, to a proxy that lost the
   * group, the connections to end and the first id to give ({@code resume}, null: none).
   */
  static void configureProxy(
      ProxyClient proxies,
      Group g,
      Replica p,
      Replica s,
      GroupRequests.Sync sync,
      GroupRequests.Resume resume) {
    proxies.configure(
        g.proxyUrl(),
        g.id(),
        g.epoch(),
        g.spec().bindAddress(),
        g.spec().port(),
        endpoint(p),
        endpoint(s),
        g.policy().compareTimeout(),
        sync,
        resume);
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
