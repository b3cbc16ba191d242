package dev.coloha.coordinator.group;

import dev.coloha.coordinator.config.CoordinatorProperties;
import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.events.GroupEvents;
import dev.coloha.coordinator.hosts.HostRegistry;
import dev.coloha.coordinator.model.Counters;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupSpec;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Host;
import dev.coloha.coordinator.model.Policy;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.remote.AgentClient;
import dev.coloha.coordinator.remote.MirrorClient;
import dev.coloha.coordinator.remote.ProxyClient;
import dev.coloha.coordinator.remote.Remote;
import dev.coloha.coordinator.store.CoordinatorStore;
import dev.coloha.web.security.SecurityProperties;
import dev.coloha.web.security.ServiceToken;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * One group's worker and operations, as the coordinator runs them, without Spring: the agents, disk
 * mirrors and proxy are {@link FakeService}s on loopback (real HTTP through the real clients,
 * breakers included), the store keeps every saved group in memory, the clock is moved by the test,
 * and the test turns the worker's loop by hand ({@link #step()}). Hosts h1, h2, h3 each have an
 * agent and a mirror; the group "kv" (with a disk) starts PROTECTED in epoch 5, primary on h1,
 * secondary on h2.
 */
final class FaultRig implements AutoCloseable {
  static final long EPOCH = 5;

  /** A clock the test moves. */
  static final class ManualClock extends Clock {
    volatile Instant now = Instant.now();

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** Keeps every saved group, in order; writes each save to the journal. */
  final class MemoryStore implements CoordinatorStore {
    final List<Group> saves = new CopyOnWriteArrayList<>();
    final List<GroupEvent> events = new CopyOnWriteArrayList<>();
    final Map<String, Host> hosts = new LinkedHashMap<>();

    final List<String> deleted = new CopyOnWriteArrayList<>();

    public List<Group> groups() {
      return saves.isEmpty() || !deleted.isEmpty() ? List.of() : List.of(saves.getLast());
    }

    public Optional<Group> group(String id) {
      return groups().stream().filter(g -> g.id().equals(id)).findFirst();
    }

    public void save(Group g) {
      saves.add(g);
      journal.add("store " + g.state() + " epoch " + g.epoch());
    }

    public void delete(String id) {
      deleted.add(id);
      journal.add("store delete " + id);
    }

    public synchronized List<Host> hosts() {
      return List.copyOf(hosts.values());
    }

    public synchronized void save(Host h) {
      hosts.put(h.name(), h);
    }

    public void append(GroupEvent e, int keep) {
      events.add(e);
    }

    public List<GroupEvent> events(int limit) {
      return List.copyOf(events);
    }
  }

  /** What happened, in order: "store STATE epoch N" and "NAME METHOD /path" of every call. */
  final List<String> journal = new CopyOnWriteArrayList<>();

  final ManualClock clock = new ManualClock();
  final MemoryStore store = new MemoryStore();
  final Map<String, FakeService> agents = new LinkedHashMap<>();
  final Map<String, FakeService> mirrors = new LinkedHashMap<>();
  final FakeService proxy;
  final HostRegistry hosts;
  final CoordinatorSettings props;
  final GroupWorker worker;
  final GroupOperations ops;
  final Group initial;

  final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
  private final Remote remote;
  private final AgentClient agentClient;
  private final MirrorClient mirrorClient;
  private final ProxyClient proxyClient;

  FaultRig() throws IOException {
    this(g -> g);
  }

  /** With the group {@code persisted} makes of the PROTECTED one, as the store holds it. */
  FaultRig(UnaryOperator<Group> persisted) throws IOException {
    for (String h : List.of("h1", "h2", "h3")) {
      agents.put(h, new FakeService(h + "/agent", FakeService.Kind.AGENT, journal::add));
      mirrors.put(h, new FakeService(h + "/mirror", FakeService.Kind.MIRROR, journal::add));
    }
    proxy = new FakeService("proxy", FakeService.Kind.PROXY, journal::add);
    Policy policy =
        new Policy(
            Duration.ofMillis(20),
            Duration.ofSeconds(5),
            Duration.ofMillis(100),
            Duration.ofMillis(250),
            4);
    props =
        new CoordinatorProperties(
                Path.of("unused"),
                policy,
                DataSize.ofMegabytes(64),
                DataSize.ofMegabytes(0),
                Duration.ofSeconds(2),
                Duration.ofSeconds(2),
                Duration.ofSeconds(2),
                Duration.ofSeconds(5),
                Duration.ofMillis(500),
                Duration.ofSeconds(1),
                100,
                Duration.ZERO,
                3,
                false,
                10,
                Duration.ofMinutes(2),
                Duration.ofMinutes(5),
                Duration.ofSeconds(10),
                false,
                null)
            .toSettings();
    hosts = new HostRegistry(store, clock, Duration.ZERO);
    beat();
    JsonMapper json =
        JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    remote =
        new Remote(
            json,
            new ServiceToken(new SecurityProperties("t")),
            breakers,
            RetryRegistry.of(RetryConfig.custom().maxAttempts(1).build()),
            Duration.ofSeconds(1));
    agentClient =
        new AgentClient(
            remote, Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(2));
    mirrorClient = new MirrorClient(remote, Duration.ofSeconds(2));
    proxyClient = new ProxyClient(remote, Duration.ofSeconds(2));
    GroupEvents events = new GroupEvents(100, store);
    CoordinatorMetrics metrics = new CoordinatorMetrics(new SimpleMeterRegistry(), List::of);
    ops =
        new GroupOperations(
            store,
            hosts,
            agentClient,
            mirrorClient,
            proxyClient,
            events,
            metrics,
            props,
            clock,
            () -> store.groups(),
            // no deletions here: what a deleted group leaves is Leftovers' and LeftoversTest's
            new Leftovers(
                java.util.Map.of(),
                java.util.Set::of,
                Duration.ofSeconds(10),
                false,
                clock,
                Runnable::run));
    initial =
        persisted.apply(
            new Group(
                new GroupSpec("kv", "kv", 64 << 20, 64 << 20, 6379, "127.0.0.1"),
                policy,
                GroupState.PROTECTED,
                EPOCH,
                replica("h1"),
                replica("h2"),
                proxy.url(),
                40,
                clock.instant(),
                Counters.zero(),
                List.of(),
                null,
                EPOCH,
                null));
    store.save(initial);
    agents.get("h1").epoch = EPOCH;
    agents.get("h1").lastCheckpoint = 40;
    agents.get("h2").epoch = EPOCH;
    proxy.epoch = EPOCH;
    journal.clear();
    worker =
        new GroupWorker(
            initial,
            ops,
            hosts,
            agentClient,
            mirrorClient,
            remote,
            events,
            metrics,
            props,
            clock,
            () -> {});
  }

  /**
   * The coordinator's group service on the same store, hosts and services: what a restarted
   * coordinator runs ({@link GroupService#start()} resumes every stored group on its own thread).
   */
  GroupService service() {
    return new GroupService(
        store,
        hosts,
        agentClient,
        mirrorClient,
        proxyClient,
        remote,
        new GroupEvents(100, store),
        new SimpleMeterRegistry(),
        props,
        clock);
  }

  Replica replica(String host) {
    return new Replica(host, agents.get(host).url(), mirrors.get(host).url(), "kv", "kv");
  }

  /** Heartbeats of every service still alive (the dead ones stay silent). */
  void beat() {
    for (String h : agents.keySet()) {
      if (!agents.get(h).dead()) {
        hosts.heartbeat(h, "agent", agents.get(h).url());
      }
      if (!mirrors.get(h).dead()) {
        hosts.heartbeat(h, "mirror", mirrors.get(h).url());
      }
    }
    if (!proxy.dead()) {
      hosts.heartbeat("proxy", "proxy", proxy.url());
    }
  }

  /** Time passes (the living services beat meanwhile), then the worker takes one turn. */
  void step(Duration passes) {
    clock.now = clock.now.plus(passes);
    beat();
    worker.step();
  }

  /** The proxy asks for a checkpoint (an output mismatch), then the worker takes one turn. */
  void mismatch() {
    worker.proxyEvent(ProxyEvents.mismatch());
    step(Duration.ofMillis(100));
  }

  Group group() {
    return worker.group();
  }

  /** The epochs of every group saved since the rig was made, in order, without repeats. */
  List<Long> epochsSaved() {
    return store.saves.stream().map(Group::epoch).distinct().toList();
  }

  /** The journal's index of the first line containing {@code match}, or -1. */
  int first(String match) {
    for (int i = 0; i < journal.size(); i++) {
      if (journal.get(i).contains(match)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public void close() {
    worker.stop();
    agents.values().forEach(FakeService::close);
    mirrors.values().forEach(FakeService::close);
    proxy.close();
  }
}
