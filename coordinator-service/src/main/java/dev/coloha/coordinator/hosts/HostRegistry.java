package dev.coloha.coordinator.hosts;

import dev.coloha.coordinator.model.Host;
import dev.coloha.coordinator.store.CoordinatorStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hosts (agent + mirror) and proxies the coordinator knows, with their last heartbeats.
 * Addresses are persisted; heartbeat times live in memory (after a restart every host gets a grace
 * period before it can be suspected).
 */
public final class HostRegistry {
  private static final Logger log = LoggerFactory.getLogger(HostRegistry.class);

  /** A proxy and its last heartbeat. */
  public record ProxyNode(String name, String url, Instant lastBeat) {}

  private final CoordinatorStore store;
  private final Clock clock;
  private final Map<String, Host> hosts = new ConcurrentHashMap<>();
  private final Map<String, ProxyNode> proxies = new ConcurrentHashMap<>();

  /**
   * What an agent says it can run (with its heartbeats); null fields are not advertised.
   *
   * @param maxMemoryBytes the largest VM memory the agent accepts
   * @param maxDiskBytes the largest VM disk the agent accepts
   */
  public record HostLimits(Long maxMemoryBytes, Long maxDiskBytes) {}

  private final Map<String, HostLimits> limits = new ConcurrentHashMap<>();

  /** What the store holds, to save only address and lost-flag changes (not every beat). */
  private final Map<String, Host> saved = new ConcurrentHashMap<>();

  public HostRegistry(CoordinatorStore store, Clock clock, Duration grace) {
    this.store = store;
    this.clock = clock;
    Instant start = clock.instant().plus(grace);
    for (Host h : store.hosts()) {
      hosts.put(h.name(), new Host(h.name(), h.agentUrl(), h.mirrorUrl(), start, start, h.lost()));
      saved.put(h.name(), h);
    }
  }

  /** A heartbeat from a service of {@code host}; role is agent, mirror or proxy. */
  public void heartbeat(String host, String role, String url) {
    Instant now = clock.instant();
    switch (role) {
      case "proxy" -> {
        ProxyNode old = proxies.put(host, new ProxyNode(host, url, now));
        if (old == null) {
          log.info("proxy {} registered at {}", host, url);
        } else if (!old.url().equals(url)) {
          log.info("proxy {} moved from {} to {} (its standby took over)", host, old.url(), url);
        }
      }
      case "agent", "mirror" -> {
        Host updated =
            hosts.compute(
                host,
                (name, h) -> {
                  Host base = h == null ? new Host(name, null, null, null, null, false) : h;
                  boolean agent = role.equals("agent");
                  return new Host(
                      name,
                      agent ? url : base.agentUrl(),
                      agent ? base.mirrorUrl() : url,
                      agent ? now : base.lastAgentBeat(),
                      agent ? base.lastMirrorBeat() : now,
                      agent ? false : base.lost());
                });
        Host before = saved.get(host);
        if (before == null
            || !java.util.Objects.equals(before.agentUrl(), updated.agentUrl())
            || !java.util.Objects.equals(before.mirrorUrl(), updated.mirrorUrl())
            || before.lost() != updated.lost()) {
          store.save(updated);
          saved.put(host, updated);
          log.info(
              "host {} registered: agent {} mirror {}",
              host,
              updated.agentUrl(),
              updated.mirrorUrl());
        }
      }
      default ->
          throw new IllegalArgumentException("role must be agent, mirror or proxy, not " + role);
    }
  }

  /**
   * The address the proxy of {@code host} beat from before, when it differs from {@code url}: its
   * warm standby took over (or it was restarted elsewhere). Asked before the beat is registered.
   */
  public Optional<String> proxyMovedFrom(String host, String url) {
    return proxyMovedFrom(host, url, null);
  }

  /**
   * As {@link #proxyMovedFrom(String, String)}, or {@code replaces} when the proxy says whose lock
   * it took (its warm standby pair's former holder): known even to a coordinator that never saw
   * that one beat (restarted meanwhile).
   */
  public Optional<String> proxyMovedFrom(String host, String url, String replaces) {
    if (replaces != null && !replaces.equals(url)) {
      return Optional.of(replaces);
    }
    ProxyNode old = proxies.get(host);
    return old == null || old.url().equals(url) ? Optional.empty() : Optional.of(old.url());
  }

  /** The limits the agent of {@code host} advertised with its heartbeats. */
  public void advertise(String host, HostLimits advertised) {
    limits.put(host, advertised);
  }

  /** The limits the agent of {@code host} advertised, if any. */
  public Optional<HostLimits> limits(String host) {
    return Optional.ofNullable(limits.get(host));
  }

  /** Declares a host lost (failure detection or an external heartbeat module). */
  public void markLost(String host) {
    Host h = hosts.get(host);
    if (h == null) {
      throw new UnknownHostException(host);
    }
    Host lost =
        new Host(
            h.name(), h.agentUrl(), h.mirrorUrl(), h.lastAgentBeat(), h.lastMirrorBeat(), true);
    hosts.put(host, lost);
    store.save(lost);
    saved.put(host, lost);
  }

  public Optional<Host> host(String name) {
    return Optional.ofNullable(hosts.get(name));
  }

  public List<Host> hosts() {
    return hosts.values().stream().sorted(Comparator.comparing(Host::name)).toList();
  }

  /** How long the host's agent has been silent (zero if unknown). */
  public Duration silence(String host) {
    Host h = hosts.get(host);
    if (h == null || h.lastAgentBeat() == null) {
      return Duration.ZERO;
    }
    Duration d = Duration.between(h.lastAgentBeat(), clock.instant());
    return d.isNegative() ? Duration.ZERO : d;
  }

  /** How long the host's disk mirror has been silent (zero if it has none or is unknown). */
  public Duration mirrorSilence(String host) {
    Host h = hosts.get(host);
    if (h == null || h.lastMirrorBeat() == null || h.mirrorUrl() == null) {
      return Duration.ZERO;
    }
    Duration d = Duration.between(h.lastMirrorBeat(), clock.instant());
    return d.isNegative() ? Duration.ZERO : d;
  }

  public boolean lost(String host) {
    Host h = hosts.get(host);
    return h != null && h.lost();
  }

  /** Hosts whose agent beat within {@code within} and that are not declared lost. */
  public List<Host> live(Duration within) {
    return hosts().stream()
        .filter(h -> !h.lost() && h.agentUrl() != null && silence(h.name()).compareTo(within) <= 0)
        .toList();
  }

  /** The proxy that beat most recently within {@code within}. */
  public Optional<ProxyNode> proxy(Duration within) {
    Instant limit = clock.instant().minus(within);
    return proxies.values().stream()
        .filter(p -> p.lastBeat().isAfter(limit))
        .max(Comparator.comparing(ProxyNode::lastBeat));
  }

  public List<ProxyNode> proxies() {
    return proxies.values().stream().sorted(Comparator.comparing(ProxyNode::name)).toList();
  }
}
