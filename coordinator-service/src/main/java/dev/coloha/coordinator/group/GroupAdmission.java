package dev.coloha.coordinator.group;

import dev.coloha.coordinator.hosts.HostRegistry;
import dev.coloha.coordinator.model.GroupSpec;
import dev.coloha.coordinator.model.Host;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.ProxyClient;
import dev.coloha.coordinator.remote.RemoteException;
import dev.coloha.wire.GroupConflictException;
import dev.coloha.wire.InvalidFieldException;
import java.net.InetAddress;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a new group against what the coordinator knows before it is accepted, so that a portal's
 * mistake is refused at once, naming the field, instead of a group that retries in CREATING: the
 * bind address parses, the port is unprivileged (unless allowed) and not served by another group
 * nor taken on the proxy's host (the proxy is asked), memory and disk are within what the live
 * agents advertise, and the guest is in the coordinator's guest library or a live agent runs it.
 * What cannot be known yet (no live agent, no proxy) is not held against the group: placement
 * retries and gives up after create-attempts.
 */
final class GroupAdmission {
  private static final Logger log = LoggerFactory.getLogger(GroupAdmission.class);

  /** The smallest memory a VM can have: one WebAssembly page. */
  static final long MIN_MEMORY = 65536;

  static final int SECTOR = 512;

  private final HostRegistry hosts;
  private final AgentClient agents;
  private final ProxyClient proxies;
  private final CoordinatorSettings props;

  GroupAdmission(
      HostRegistry hosts, AgentClient agents, ProxyClient proxies, CoordinatorSettings props) {
    this.hosts = hosts;
    this.agents = agents;
    this.proxies = proxies;
    this.props = props;
  }

  /** The checks that need nothing but the request and the other groups (no remote call). */
  void checkLocally(GroupSpec c, Collection<GroupSpec> others) {
    InetAddress address = bindAddress(c.bindAddress());
    int low = props.allowPrivilegedPorts() ? 1 : 1024;
    if (c.port() < low || c.port() > 65535) {
      throw new InvalidFieldException(
          "port",
          "must be between "
              + low
              + " and 65535"
              + (low > 1 ? " (colo.coordinator.allow-privileged-ports is off)" : ""));
    }
    if (c.memoryBytes() < MIN_MEMORY) {
      throw new InvalidFieldException(
          "memoryBytes", "must be at least " + MIN_MEMORY + " (one WebAssembly page)");
    }
    if (c.diskBytes() < 0 || c.diskBytes() % SECTOR != 0) {
      throw new InvalidFieldException("diskBytes", "must be 0 or a positive multiple of 512");
    }
    for (GroupSpec other : others) {
      if (other.port() == c.port() && overlap(address, other.bindAddress())) {
        throw new GroupConflictException(
            "port",
            c.bindAddress() + ":" + c.port() + " is already served for group " + other.id());
      }
    }
  }

  /** The checks that ask the live agents and the proxy. */
  void checkRemotely(GroupSpec c) {
    List<Host> live = hosts.live(props.policy().suspectAfter().plus(props.hostGrace()));
    checkLimits(c, live);
    checkGuest(c, live);
    checkPort(c);
  }

  private static InetAddress bindAddress(String text) {
    try {
      return InetAddress.ofLiteral(text);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new InvalidFieldException(
          "bindAddress", "must be an IPv4 or IPv6 address, e.g. 127.0.0.1 or 0.0.0.0");
    }
  }

  /** Two bind addresses overlap when equal or when either is the wildcard. */
  private static boolean overlap(InetAddress a, String other) {
    InetAddress b;
    try {
      b = InetAddress.ofLiteral(other);
    } catch (IllegalArgumentException e) {
      return a.getHostAddress().equals(other);
    }
    return a.equals(b) || a.isAnyLocalAddress() || b.isAnyLocalAddress();
  }

  private void checkLimits(GroupSpec c, List<Host> live) {
    Optional<Long> memory =
        live.stream()
            .map(h -> hosts.limits(h.name()).map(HostRegistry.HostLimits::maxMemoryBytes))
            .flatMap(Optional::stream)
            .filter(v -> v != null)
            .max(Long::compare);
    if (memory.isPresent() && c.memoryBytes() > memory.get()) {
      throw new InvalidFieldException(
          "memoryBytes",
          "must be at most " + memory.get() + " (the largest memory a live host advertises)");
    }
    Optional<Long> disk =
        live.stream()
            .map(h -> hosts.limits(h.name()).map(HostRegistry.HostLimits::maxDiskBytes))
            .flatMap(Optional::stream)
            .filter(v -> v != null)
            .max(Long::compare);
    if (disk.isPresent() && c.diskBytes() > disk.get()) {
      throw new InvalidFieldException(
          "diskBytes",
          "must be at most " + disk.get() + " (the largest disk a live host advertises)");
    }
  }

  private void checkGuest(GroupSpec c, List<Host> live) {
    if (agents.inLibrary(c.guest())) {
      checkWasiOnlyFields(c, agents.libraryAbi(c.guest()).orElse("wasi-p1"));
      return;
    }
    TreeSet<String> known = new TreeSet<>();
    boolean anyAnswered = false;
    for (Host h : live) {
      try {
        known.addAll(agents.guests(h.agentUrl(), props.probeTimeout()));
        anyAnswered = true;
      } catch (RuntimeException e) {
        log.debug("agent of {} did not list its guests: {}", h.name(), e.getMessage());
      }
      if (known.contains(c.guest())) {
        return;
      }
    }
    if (anyAnswered) {
      throw new InvalidFieldException(
          "guest", "no live host runs guest '" + c.guest() + "'; they run " + known);
    }
  }

  /**
   * A guest written against ABI v1 has no arguments, network model or {@code /data} (it has an
   * environment): a request that sets them for it is refused, not ignored. (A guest bundled with
   * the agents is checked by the agent when its VM is created.)
   */
  static void checkWasiOnlyFields(GroupSpec c, String abi) {
    if (!"colo-v1".equals(abi)) {
      return;
    }
    c.launch()
        .wasiOnlyField()
        .ifPresent(
            field -> {
              throw new InvalidFieldException(
                  field,
                  "applies only to WASI guests; '" + c.guest() + "' is written against " + abi);
            });
  }

  private void checkPort(GroupSpec c) {
    Optional<HostRegistry.ProxyNode> proxy =
        hosts.proxy(props.policy().suspectAfter().plus(props.hostGrace()));
    if (proxy.isEmpty()) {
      return;
    }
    try {
      proxies.checkListen(proxy.get().url(), c.bindAddress(), c.port(), props.probeTimeout());
    } catch (RemoteException e) {
      if (e.status() == 409) {
        throw new GroupConflictException(
            "port", c.bindAddress() + ":" + c.port() + " is in use on the proxy's host");
      }
      if (e.status() == 400 || e.status() == 422) {
        Object field = e.body().get("field");
        throw new InvalidFieldException(
            "bindAddress",
            "the proxy cannot listen on "
                + c.bindAddress()
                + ":"
                + c.port()
                + (field == null ? "" : " (" + e.body().get("detail") + ")"));
      }
      log.debug("the proxy did not check {}:{}: {}", c.bindAddress(), c.port(), e.getMessage());
    } catch (RuntimeException e) {
      log.debug("the proxy did not check {}:{}: {}", c.bindAddress(), c.port(), e.getMessage());
    }
  }
}
