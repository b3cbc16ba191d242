package dev.coloha.coordinator.group;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What groups the coordinator no longer knows left on its services: VMs on agents, volumes on
 * mirrors, listeners on proxies, each named by its group's id. A group's {@code DELETE} removes
 * what it can at once; a service that did not answer then (down, cut off, frozen) is swept when it
 * beats again: what it holds of the groups deleted meanwhile is removed. Every service that
 * registers (its first heartbeat since the coordinator started, or one after a silence longer than
 * {@code rejoin-after}) is swept whole unless {@code sweep-on-registration} is off: whatever it
 * holds of a group that is neither stored nor running is removed.
 */
final class Leftovers {
  private static final Logger log = LoggerFactory.getLogger(Leftovers.class);

  /** A kind of service that holds things named by group id. */
  interface Holder {
    /** The group ids of what the service at {@code url} holds. */
    List<String> held(String url);

    /** Removes what the service at {@code url} holds for group {@code id} (gone already: fine). */
    void remove(String url, String id);
  }

  private final Map<String, Holder> holders;
  private final Supplier<Set<String>> knownGroups;
  private final Duration rejoinAfter;
  private final boolean sweepOnRegistration;
  private final Clock clock;
  private final Executor executor;
  private final Map<String, Instant> lastBeat = new ConcurrentHashMap<>();

  /** Per service, the deleted groups whose clean-up failed there. */
  private final Map<String, Set<String>> pending = new ConcurrentHashMap<>();

  /** Services to sweep whole at their next heartbeat (they registered). */
  private final Set<String> wholeSweep = ConcurrentHashMap.newKeySet();

  private final Set<String> sweeping = ConcurrentHashMap.newKeySet();

  /**
   * @param holders by role: agent, mirror, proxy
   * @param knownGroups the ids of every group stored or running, asked after a service's listing
   * @param sweepOnRegistration whether a service that registers loses everything of groups the
   *     coordinator does not know (off: only what deleted groups failed to remove there)
   * @param executor runs the sweeps (off the heartbeat's thread)
   */
  Leftovers(
      Map<String, Holder> holders,
      Supplier<Set<String>> knownGroups,
      Duration rejoinAfter,
      boolean sweepOnRegistration,
      Clock clock,
      Executor executor) {
    this.holders = Map.copyOf(holders);
    this.knownGroups = knownGroups;
    this.rejoinAfter = rejoinAfter;
    this.sweepOnRegistration = sweepOnRegistration;
    this.clock = clock;
    this.executor = executor;
  }

  private static String key(String role, String url) {
    return role + " " + url;
  }

  /** Removing deleted group {@code id} from the service failed: again at its next heartbeat. */
  void cleanUpFailed(String role, String url, String id) {
    if (holders.containsKey(role) && url != null) {
      pending.computeIfAbsent(key(role, url), k -> ConcurrentHashMap.newKeySet()).add(id);
    }
  }

  /** A heartbeat: a service that registers, or one with leftovers to remove, is swept. */
  void beat(String role, String url) {
    Holder holder = holders.get(role);
    if (holder == null || url == null) {
      return;
    }
    String key = key(role, url);
    Instant now = clock.instant();
    Instant before = lastBeat.put(key, now);
    boolean registers = before == null || Duration.between(before, now).compareTo(rejoinAfter) > 0;
    if (registers && sweepOnRegistration) {
      wholeSweep.add(key);
    }
    if (!wholeSweep.contains(key) && pending.getOrDefault(key, Set.of()).isEmpty()) {
      return;
    }
    if (sweeping.add(key)) {
      executor.execute(() -> sweep(role, url, holder, key));
    }
  }

  private void sweep(String role, String url, Holder holder, String key) {
    boolean whole = wholeSweep.remove(key);
    Set<String> deleted = Set.copyOf(pending.getOrDefault(key, Set.of()));
    try {
      List<String> held = holder.held(url);
      // asked after the listing: a group created meanwhile is known before it has anything there
      Set<String> known = knownGroups.get();
      for (String id : held) {
        if (!known.contains(id) && (whole || deleted.contains(id))) {
          holder.remove(url, id);
          log.info("{} {}: removed what group {} (unknown or deleted) left there", role, url, id);
        }
      }
      Set<String> left = pending.get(key);
      if (left != null) {
        left.removeAll(deleted); // removed, or not held any more
      }
    } catch (RuntimeException e) {
      if (whole) {
        wholeSweep.add(key); // again at its next heartbeat
      }
      log.warn("{} {}: leftovers not removed yet: {}", role, url, e.getMessage());
    } finally {
      sweeping.remove(key);
    }
  }
}
