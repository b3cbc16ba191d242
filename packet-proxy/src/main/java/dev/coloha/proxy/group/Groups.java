package dev.coloha.proxy.group;

import dev.coloha.proxy.config.ProxyProperties;
import dev.coloha.proxy.event.MismatchRecord;
import dev.coloha.proxy.forensics.PcapFile;
import dev.coloha.wire.LimitExceededException;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The proxy's protected services, by name: what the REST controllers call. */
public final class Groups implements AutoCloseable {
  private final ProxyProperties props;
  private final MeterRegistry registry;
  private final java.util.Map<String, String> headers;
  private final Map<String, Group> groups = new ConcurrentHashMap<>();

  /**
   * @param headers headers on every stream to an agent (the shared token)
   */
  public Groups(
      ProxyProperties props, MeterRegistry registry, java.util.Map<String, String> headers) {
    this.headers = headers;
    this.props = props;
    this.registry = registry;
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
    g = Group.start(spec, props, registry, headers);
    groups.put(spec.name(), g);
    return new Put(g.view(), true);
  }

  private static void validate(GroupSpec spec) {
    if (spec.mode() == GroupSpec.Mode.PASSTHROUGH && spec.secondary() != null) {
      throw new IllegalArgumentException("PASSTHROUGH mode takes no secondary");
    }
    if (spec.secondary() != null && spec.secondary().equals(spec.primary())) {
      throw new IllegalArgumentException("the primary and the secondary are the same VM");
    }
    if (spec.compareTimeout().isNegative() || spec.compareTimeout().isZero()) {
      throw new IllegalArgumentException("compareTimeout must be positive");
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
