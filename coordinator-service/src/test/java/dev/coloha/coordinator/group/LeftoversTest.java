package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A service that did not answer a group's DELETE, or that registers holding things of groups the
 * coordinator does not know, is swept at its heartbeat; what belongs to a known group stays.
 */
class LeftoversTest {

  /** An agent (or mirror, or proxy) in memory: the group ids of what it holds. */
  static final class FakeService implements Leftovers.Holder {
    final Set<String> held = new HashSet<>();
    boolean down;
    int listings;

    @Override
    public List<String> held(String url) {
      listings++;
      if (down) {
        throw new IllegalStateException("unreachable");
      }
      return new ArrayList<>(held);
    }

    @Override
    public void remove(String url, String id) {
      if (down) {
        throw new IllegalStateException("unreachable");
      }
      held.remove(id);
    }
  }

  private final MutableClock clock = new MutableClock();
  private final FakeService agent = new FakeService();
  private final Set<String> known = new HashSet<>(Set.of("kv"));
  private final Leftovers leftovers = leftovers(true);

  private Leftovers leftovers(boolean sweepOnRegistration) {
    return new Leftovers(
        Map.of("agent", agent),
        () -> Set.copyOf(known),
        Duration.ofSeconds(10),
        sweepOnRegistration,
        clock,
        Runnable::run);
  }

  @Test
  void aServiceThatRegistersLosesWhatUnknownGroupsLeftAndKeepsTheRest() {
    agent.held.addAll(Set.of("kv", "deleted-while-down"));

    leftovers.beat("agent", "http://a");

    assertThat(agent.held).containsExactly("kv");
  }

  @Test
  void aFailedCleanUpIsRetriedAtTheServicesNextHeartbeat() {
    leftovers.beat("agent", "http://a"); // registered, nothing to remove
    agent.held.addAll(Set.of("kv", "gone"));
    clock.advance(Duration.ofSeconds(1));
    leftovers.beat("agent", "http://a");
    assertThat(agent.held).as("an ordinary heartbeat sweeps nothing").contains("gone");

    agent.held.add("hand-made"); // not the coordinator's: a clean-up sweep leaves it
    leftovers.cleanUpFailed("agent", "http://a", "gone"); // the DELETE of "gone" did not reach it
    agent.down = true;
    clock.advance(Duration.ofSeconds(1));
    leftovers.beat("agent", "http://a");
    assertThat(agent.held).as("still unreachable: kept for later").contains("gone");

    agent.down = false;
    clock.advance(Duration.ofSeconds(1));
    leftovers.beat("agent", "http://a");
    assertThat(agent.held).containsExactlyInAnyOrder("kv", "hand-made");

    clock.advance(Duration.ofSeconds(1));
    int listings = agent.listings;
    leftovers.beat("agent", "http://a");
    assertThat(agent.listings).as("swept once, not at every beat").isEqualTo(listings);
  }

  @Test
  void aServiceBackAfterASilenceIsSweptAgain() {
    leftovers.beat("agent", "http://a");
    agent.held.addAll(Set.of("kv", "gone"));
    clock.advance(Duration.ofSeconds(11));

    leftovers.beat("agent", "http://a");

    assertThat(agent.held).containsExactly("kv");
  }

  @Test
  void aGroupCreatedDuringTheListingIsKept() {
    agent.held.add("new");
    Leftovers racing =
        new Leftovers(
            Map.of("agent", agent),
            () -> Set.of("new"), // known once the listing is done
            Duration.ofSeconds(10),
            true,
            clock,
            Runnable::run);

    racing.beat("agent", "http://a");

    assertThat(agent.held).containsExactly("new");
  }

  @Test
  void withoutTheRegistrationSweepOnlyWhatDeletedGroupsLeftIsRemoved() {
    Leftovers cautious = leftovers(false);
    agent.held.addAll(Set.of("kv", "hand-made", "gone"));
    cautious.cleanUpFailed("agent", "http://a", "gone");

    cautious.beat("agent", "http://a");

    assertThat(agent.held).containsExactlyInAnyOrder("kv", "hand-made");
  }

  static final class MutableClock extends Clock {
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
