package dev.coloha.coordinator.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each wither of {@link Group} changes what it names and copies every other field as it was. */
class GroupWithersTest {
  private static final Instant SINCE = Instant.parse("2026-02-02T00:00:00Z");
  private static final Instant AT = Instant.parse("2026-03-03T00:00:00Z");
  private final Group g = TestGroups.group("g", 7, GroupState.PROTECTED).withSince(SINCE);

  @Test
  void theFixtureHasEveryFieldSet() {
    assertThat(g).hasNoNullFieldsOrPropertiesExcept("reason");
    assertThat(g.since()).isEqualTo(SINCE);
  }

  @Test
  void aWitherOfOneFieldChangesThatFieldOnly() {
    Replica r = new Replica("h9", "http://127.0.0.1:9", null, "g", null);
    Policy p =
        new Policy(
            Duration.ofMillis(1),
            Duration.ofSeconds(1),
            Duration.ofMillis(2),
            Duration.ofMillis(30),
            1);
    Counters c = new Counters(1, 2, 3, 4, 5);
    assertThat(only(g.withEpoch(9), "epoch").epoch()).isEqualTo(9L);
    assertThat(only(g.withDiskEpoch(3), "diskEpoch").diskEpoch()).isEqualTo(3L);
    assertThat(only(g.withProxy("http://p"), "proxyUrl").proxyUrl()).isEqualTo("http://p");
    assertThat(only(g.withCounters(c), "counters").counters()).isEqualTo(c);
    assertThat(only(g.withPolicy(p), "policy").policy()).isEqualTo(p);
    assertThat(only(g.withOrphans(List.of(r)), "orphans").orphans()).isEqualTo(List.of(r));
    assertThat(only(g.withSince(AT), "since").since()).isEqualTo(AT);
  }

  @Test
  void theReplicasChangeTogether() {
    Replica r = new Replica("h9", "http://127.0.0.1:9", null, "g", null);
    Group swapped = only(g.withReplicas(r, null), "primary", "secondary");
    assertThat(swapped.primary()).isEqualTo(r);
    assertThat(swapped.secondary()).isNull();
  }

  @Test
  void aCheckpointSetsItsSequenceItsTimeAndCountsIt() {
    Group done = only(g.withCheckpoint(99, AT), "lastCheckpoint", "lastCheckpointAt", "counters");
    assertThat(done.lastCheckpoint()).isEqualTo(99);
    assertThat(done.lastCheckpointAt()).isEqualTo(AT);
    assertThat(done.counters()).isEqualTo(g.counters().checkpoint());
  }

  @Test
  void aNewStateStartsAfreshAndTheSameStateKeepsItsStart() {
    Group degraded = only(g.with(GroupState.DEGRADED, "lost"), "state", "reason", "since");
    assertThat(degraded.state()).isEqualTo(GroupState.DEGRADED);
    assertThat(degraded.reason()).isEqualTo("lost");
    assertThat(degraded.since()).isNull();
    Group same = only(g.with(GroupState.PROTECTED, "again"), "reason");
    assertThat(same.since()).isEqualTo(SINCE);
  }

  /** {@code changed}, asserted equal to the fixture in every field but {@code fields}. */
  private Group only(Group changed, String... fields) {
    assertThat(changed).usingRecursiveComparison().ignoringFields(fields).isEqualTo(g);
    return changed;
  }
}
