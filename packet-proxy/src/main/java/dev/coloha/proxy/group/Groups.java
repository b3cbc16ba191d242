package dev.coloha.proxy.group;

import dev.coloha.api.proxy.GroupView;
import dev.coloha.proxy.event.MismatchRecord;
import dev.coloha.proxy.forensics.PcapFile;
import dev.coloha.proxy.replica.AgentCheckpoints;
import dev.coloha.wire.GroupConflictException;
import dev.coloha.wire.InvalidFieldException;
import dev.coloha.wire.LimitExceededException;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The proxy's protected services, by name: what the REST controllers call. */
public final class Groups implements AutoCloseable {
  private final ProxySettings props;
  private final MeterRegistry registry;
  private final java.util.Map<String, String> headers;
  private final Map<String, Group> groups = new ConcurrentHashMap<>();
  private final AgentCheckpoints agents;
  private final ProxyFaults faults;

  /**
   * @param headers headers on every stream and call to an agent (the shared token)
   */
  public Groups(
      ProxySettings props, MeterRegistry registry, java.util.Map<String, String> headers) {
    this.headers = headers;
    this.props = props;
    this.registry = registry;
    this.agents =
        new AgentCheckpoints(
            headers, props.stream().connectTimeout(), props.selfCheckpoint().timeout());
    this.faults = ProxyFaults.of(props.testing().faults());
  }

  /** Result of a PUT: the group, and whether it was created. */
  public record Put(GroupView group, boolean created) {}

  /** Creates the group, or reconfigures it (epoch fenced). */
  public synchronized Put put(GroupSpec spec) {
    validate(spec);
    Group g = groups.get(spec.name());
    if (g != null) {
      return new Put(g.reconfigure(spec), false);
    }
    if (groups.size() >= props.limits().maxGroups()) {
      throw new LimitExceededException(
          "max-groups", groups.size() + 1L, props.limits().maxGroups());
    }
    g = Group.start(spec, props, registry, headers, agents, faults);
    groups.put(spec.name(), g);
    return new Put(g.view(), true);
  }

  private static void validate(GroupSpec spec) {
    address("listen.address", spec.bindAddress());
    if (spec.mode() == GroupSpec.Mode.PASSTHROUGH && spec.secondary() != null) {
      throw new InvalidFieldException("secondary", "PASSTHROUGH mode takes no secondary");
    }
    if (spec.secondary() != null && spec.secondary().equals(spec.primary())) {
      throw new InvalidFieldException("secondary", "is the same VM as the primary");
    }
    if (spec.compareTimeout().isNegative() || spec.compareTimeout().isZero()) {
      throw new InvalidFieldException("compareTimeout", "must be positive");
    }
    if (spec.compareTimeout().compareTo(MAX_COMPARE_TIMEOUT) > 0) {
      throw new InvalidFieldException("compareTimeout", "must be at most " + MAX_COMPARE_TIMEOUT);
    }
  }

  /** The longest compare timeout a group may ask for. */
  static final Duration MAX_COMPARE_TIMEOUT = Duration.ofHours(1);

  private static InetAddress address(String field, String text) {
    try {
      return InetAddress.ofLiteral(text);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new InvalidFieldException(
          field, "must be an IPv4 or IPv6 address, e.g. 127.0.0.1 or 0.0.0.0");
    }
  }

  /**
   * Whether a group could listen on {@code address:port} here: no group of this proxy serves it and
   * the port is free on this host (it is bound and released at once). Changes nothing.
   */
  /** Whether something on this host accepts TCP connections at {@code address:port}. */
  private static boolean answers(InetAddress address, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public synchronized void checkListen(String address, int port) {
    InetAddress wanted = address("address", address);
    for (Group g : groups.values()) {
      InetAddress served = InetAddress.ofLiteral(g.spec().bindAddress());
      if (g.spec().port() == port
          && (served.equals(wanted) || served.isAnyLocalAddress() || wanted.isAnyLocalAddress())) {
        throw new GroupConflictException(
            "port", address + ":" + port + " is served by group " + g.name());
      }
    }
    if (answers(wanted.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : wanted, port)) {
      // e.g. a server on the wildcard address: a bind with SO_REUSEADDR on one address succeeds
      throw new GroupConflictException(
          "port", address + ":" + port + " is in use on the proxy's host (a server answers)");
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(wanted, port), 1);
    } catch (BindException e) {
      if (String.valueOf(e.getMessage()).contains("assign")) {
        throw new InvalidFieldException("address", "is not an address of the proxy's host");
      }
      throw new GroupConflictException(
          "port", address + ":" + port + " is in use on the proxy's host");
    } catch (IOException e) {
      throw new GroupConflictException(
          "port", "cannot listen on " + address + ":" + port + ": " + e.getMessage());
    }
  }

  public Group group(String name) {
    Group g = groups.get(name);
    if (g == null) {
      throw new GroupNotFoundException(name);
    }
    return g;
  }

  public GroupView view(String name) {
    return group(name).view();
  }

  public List<GroupView> list() {
    List<GroupView> out = new ArrayList<>();
    for (Group g : groups.values()) {
      out.add(g.view());
    }
    out.sort(Comparator.comparing(GroupView::name));
    return out;
  }

  public synchronized void delete(String name) {
    Group g = groups.remove(name);
    if (g == null) {
      throw new GroupNotFoundException(name);
    }
    g.close();
  }

  public Group.CommitOutcome commit(String name, Commit commit) {
    return group(name).commit(commit);
  }

  public GroupView failover(String name, long epoch, ReplicaRef primary) {
    return group(name).failover(epoch, primary);
  }

  public List<MismatchRecord> mismatches(String name) {
    return group(name).events().mismatches();
  }

  public MismatchRecord mismatch(String name, long id) {
    MismatchRecord r = group(name).events().mismatch(id);
    if (r == null) {
      throw new MismatchNotFoundException(name, id);
    }
    return r;
  }

  /** The forensic window of a mismatch as a classic .pcap file. */
  public byte[] pcap(String name, long id) {
    Group g = group(name);
    MismatchRecord r = mismatch(name, id);
    return PcapFile.of(r, g.spec().port());
  }

  @Override
  public synchronized void close() {
    for (Group g : groups.values()) {
      g.close();
    }
    groups.clear();
  }
}
