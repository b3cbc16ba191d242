package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.config.CoordinatorProperties;
import dev.coloha.coordinator.events.GroupEvent;
import dev.coloha.coordinator.events.GroupEvents;
import dev.coloha.coordinator.hosts.HostRegistry;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupSpec;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Host;
import dev.coloha.coordinator.model.Policy;
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
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

/**
 * A new group placed on a host whose agent then fails the creation keeps its placement when it is
 * retried and when it ends FAILED: its DELETE must know the replicas it created to remove them.
 */
class GroupCreationFailureTest {

  /** The coordinator's store in memory. */
  static final class MemoryStore implements CoordinatorStore {
    final Map<String, Group> groups = new LinkedHashMap<>();
    final Map<String, Host> hosts = new LinkedHashMap<>();
    final List<GroupEvent> events = new ArrayList<>();

    @Override
    public List<Group> groups() {
      return List.copyOf(groups.values());
    }

    @Override
    public Optional<Group> group(String id) {
      return Optional.ofNullable(groups.get(id));
    }

    @Override
    public void save(Group group) {
      groups.put(group.id(), group);
    }

    @Override
    public void delete(String groupId) {
      groups.remove(groupId);
    }

    @Override
    public List<Host> hosts() {
      return List.copyOf(hosts.values());
    }

    @Override
    public void save(Host host) {
      hosts.put(host.name(), host);
    }

    @Override
    public void append(GroupEvent event, int keep) {
      events.add(event);
    }

    @Override
    public List<GroupEvent> events(int limit) {
      return List.copyOf(events);
    }
  }

  @Test
  void aGroupThatFailsAfterItWasPlacedEndsFailedWithItsReplicas() {
    MemoryStore store = new MemoryStore();
    Clock clock = Clock.systemUTC();
    Policy policy =
        new Policy(
            Duration.ofMillis(20),
            Duration.ofSeconds(5),
            Duration.ofMillis(100),
            Duration.ofMillis(250),
            40);
    CoordinatorSettings props =
        new CoordinatorProperties(
                Path.of("unused"),
                policy,
                DataSize.ofMegabytes(64),
                DataSize.ofBytes(0),
                Duration.ofMillis(500),
                Duration.ofMillis(500),
                Duration.ofMillis(500),
                Duration.ofSeconds(1),
                Duration.ofMillis(500),
                Duration.ofMillis(10),
                100,
                Duration.ZERO,
                3,
                false,
                1, // the first failed attempt is the last
                Duration.ZERO,
                Duration.ofMinutes(5),
                Duration.ofSeconds(10),
                true,
                null)
            .toSettings();
    HostRegistry hosts = new HostRegistry(store, clock, Duration.ZERO);
    String nobody = "http://127.0.0.1:1"; // refuses connections: every call fails at once
    hosts.heartbeat("host-1", "agent", nobody);
    hosts.heartbeat("proxy-1", "proxy", nobody);
    Remote remote =
        new Remote(
            JsonMapper.builder().build(),
            new ServiceToken(new SecurityProperties("t")),
            CircuitBreakerRegistry.ofDefaults(),
            RetryRegistry.of(RetryConfig.custom().maxAttempts(1).build()),
            Duration.ofMillis(500));
    AgentClient agents =
        new AgentClient(remote, props.callTimeout(), props.callTimeout(), props.callTimeout());
    MirrorClient mirrors = new MirrorClient(remote, props.callTimeout());
    ProxyClient proxies = new ProxyClient(remote, props.callTimeout());
    GroupEvents events = new GroupEvents(100, store);
    CoordinatorMetrics metrics = new CoordinatorMetrics(new SimpleMeterRegistry(), List::of);
    Leftovers leftovers =
        new Leftovers(Map.of(), Set::of, props.rejoinAfter(), true, clock, Runnable::run);
    GroupOperations ops =
        new GroupOperations(
            store, hosts, agents, mirrors, proxies, events, metrics, props, clock, List::of,
            leftovers);
    Group created =
        Group.creating(new GroupSpec("kv", "kv", 64 << 20, 0, 6379, "127.0.0.1"), policy);
    store.save(created);
    GroupWorker worker =
        new GroupWorker(
            created, ops, hosts, agents, mirrors, remote, events, metrics, props, clock, () -> {});

    worker.resume(); // placed on host-1, then its agent does not answer: FAILED

    Group failed = store.group("kv").orElseThrow();
    assertThat(failed.state()).isEqualTo(GroupState.FAILED);
    assertThat(failed.primary()).as("the replica it created, for its DELETE").isNotNull();
    assertThat(failed.primary().host()).isEqualTo("host-1");
    assertThat(worker.group().primary()).isEqualTo(failed.primary());
  }
}
