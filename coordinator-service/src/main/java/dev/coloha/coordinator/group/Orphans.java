package dev.coloha.coordinator.group;

import dev.coloha.coordinator.hosts.HostRegistry;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.Host;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.MirrorClient;
import dev.coloha.coordinator.store.CoordinatorStore;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group's orphans: its replicas of earlier epochs (a dropped secondary, a failed re-protection's
 * attempt, a lost primary), deleted once their hosts answer again. Called by the group's worker
 * only, through {@link GroupOperations}.
 */
final class Orphans {
  private static final Logger log = LoggerFactory.getLogger(Orphans.class);

  private final CoordinatorStore store;
  private final HostRegistry hosts;
  private final AgentClient agents;
  private final MirrorClient mirrors;

  Orphans(CoordinatorStore store, HostRegistry hosts, AgentClient agents, MirrorClient mirrors) {
    this.store = store;
    this.hosts = hosts;
    this.agents = agents;
    this.mirrors = mirrors;
  }

  /** Deletes replicas of earlier epochs on hosts that answer again. */
  Group clean(Group g) {
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
}
