package dev.coloha.coordinator.hosts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.coordinator.model.Counters;
import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupSpec;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Host;
import dev.coloha.coordinator.model.Policy;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.store.CoordinatorStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HostRegistryTest {
  /** A clock the test moves. */
  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  /** Keeps hosts in a list; counts saves. */
  static final class ListStore implements CoordinatorStore {
    final List<Host> hosts = new ArrayList<>();
    int hostSaves;

    public List<Group> groups() {
      return List.of();
    }

    public Optional<Group> group(String id) {
      return Optional.empty();
    }

    public void save(Group g) {}

    public void delete(String id) {}

    public void append(dev.coloha.coordinator.events.GroupEvent e, int keep) {}

    public List<dev.coloha.coordinator.events.GroupEvent> events(int limit) {
      return List.of();
    }

    public List<Host> hosts() {
      return List.copyOf(hosts);
    }

    public void save(Host h) {
      hostSaves++;
      hosts.removeIf(x -> x.name().equals(h.name()));
      hosts.add(h);
    }
  }

  private final ManualClock clock = new ManualClock();
  private final ListStore store = new ListStore();
  private final HostRegistry registry = new HostRegistry(store, clock, Duration.ofSeconds(5));

  @Test
  void heartbeatsRegisterHostsAndOnlyAddressChangesAreSaved() {
    registry.heartbeat("h1", "agent", "http://a:1");
    registry.heartbeat("h1", "mirror", "http://m:1");
    for (int i = 0; i < 10; i++) {
      registry.heartbeat("h1", "agent", "http://a:1");
    }
    assertThat(store.hostSaves).isEqualTo(2);
    Host h = registry.host("h1").orElseThrow();
    assertThat(h.agentUrl()).isEqualTo("http://a:1");
    assertThat(h.mirrorUrl()).isEqualTo("http://m:1");
  }

  @Test
  void silenceGrowsWithoutHeartbeatsAndLiveHostsAreTheRecentOnes() {
    registry.heartbeat("h1", "agent", "http://a:1");
    registry.heartbeat("h2", "agent", "http://a:2");
    clock.now = clock.now.plusMillis(800);
    registry.heartbeat("h2", "agent", "http://a:2");
    assertThat(registry.silence("h1")).isEqualTo(Duration.ofMillis(800));
    assertThat(registry.live(Duration.ofMillis(500))).extracting(Host::name).containsExactly("h2");
  }

  @Test
  void aLostHostIsNotLiveUntilItsAgentBeatsAgain() {
    registry.heartbeat("h1", "agent", "http://a:1");
    registry.markLost("h1");
    assertThat(registry.lost("h1")).isTrue();
    assertThat(registry.live(Duration.ofSeconds(1))).isEmpty();
    registry.heartbeat("h1", "agent", "http://a:1");
    assertThat(registry.lost("h1")).isFalse();
    assertThatThrownBy(() -> registry.markLost("nope")).isInstanceOf(UnknownHostException.class);
  }

  @Test
  void afterARestartKnownHostsGetAGracePeriod() {
    registry.heartbeat("h1", "agent", "http://a:1");
    clock.now = clock.now.plusSeconds(60);
    HostRegistry restarted = new HostRegistry(store, clock, Duration.ofSeconds(5));
    assertThat(restarted.silence("h1")).isZero();
    clock.now = clock.now.plusSeconds(7);
    assertThat(restarted.silence("h1")).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void proxiesAreKeptApart() {
    registry.heartbeat("p1", "proxy", "http://p:1");
    assertThat(registry.proxy(Duration.ofSeconds(1)))
        .hasValueSatisfying(p -> assertThat(p.url()).isEqualTo("http://p:1"));
    assertThat(registry.hosts()).isEmpty();
    assertThatThrownBy(() -> registry.heartbeat("x", "router", "http://x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void placementPicksTheLeastLoadedLiveHostAndNeverAnExcludedOne() {
    Host a = new Host("a", "http://a", null, clock.now, null, false);
    Host b = new Host("b", "http://b", null, clock.now, null, false);
    Host c = new Host("c", "http://c", null, clock.now, null, false);
    Replica onA = new Replica("a", "http://a", null, "g", null);
    Replica onB = new Replica("b", "http://b", null, "g", null);
    Group busy =
        new Group(
            new GroupSpec("g", "kv", 1, 0, 1, "127.0.0.1"),
            new Policy(
                Duration.ZERO,
                Duration.ofSeconds(1),
                Duration.ofMillis(100),
                Duration.ofMillis(100),
                3),
            GroupState.PROTECTED,
            1,
            onA,
            onB,
            null,
            -1,
            null,
            Counters.zero(),
            List.of(),
            null,
            1,
            null);
    assertThat(Placement.choose(List.of(a, b, c), List.of(busy), Set.of())).contains(c);
    assertThat(Placement.choose(List.of(a, b), List.of(busy), Set.of("a"))).contains(b);
    assertThat(Placement.choose(List.of(a), List.of(), Set.of("a"))).isEmpty();
  }

  @Test
  void aProxyBeatingFromAnotherAddressMovedThereAndOneThatSaysWhomItReplacesToo() {
    registry.heartbeat("proxy-1", "proxy", "http://127.0.0.1:1");
    assertThat(registry.proxyMovedFrom("proxy-1", "http://127.0.0.1:1")).isEmpty();
    // its warm standby took over: the same host beats from its own address
    assertThat(registry.proxyMovedFrom("proxy-1", "http://127.0.0.1:2"))
        .contains("http://127.0.0.1:1");
    registry.heartbeat("proxy-1", "proxy", "http://127.0.0.1:2");
    assertThat(registry.proxyMovedFrom("proxy-1", "http://127.0.0.1:2")).isEmpty();

    // a restarted coordinator never saw the former holder beat: the standby says whom it replaces
    HostRegistry restarted = new HostRegistry(store, clock, Duration.ofSeconds(5));
    assertThat(restarted.proxyMovedFrom("proxy-1", "http://127.0.0.1:2")).isEmpty();
    assertThat(restarted.proxyMovedFrom("proxy-1", "http://127.0.0.1:2", "http://127.0.0.1:1"))
        .contains("http://127.0.0.1:1");
    assertThat(restarted.proxyMovedFrom("proxy-1", "http://127.0.0.1:2", "http://127.0.0.1:2"))
        .isEmpty();
  }
}
