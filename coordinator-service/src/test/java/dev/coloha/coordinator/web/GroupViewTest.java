package dev.coloha.coordinator.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupSpec;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.TestGroups;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/groups/{id}} shows the group's spec: its appendfsync policy among it. */
class GroupViewTest {

  private static Group withSpec(Group g, GroupSpec spec) {
    return new Group(
        spec,
        g.policy(),
        g.state(),
        g.epoch(),
        g.primary(),
        g.secondary(),
        g.proxyUrl(),
        g.lastCheckpoint(),
        g.lastCheckpointAt(),
        g.counters(),
        g.orphans(),
        g.reason(),
        g.diskEpoch(),
        g.since());
  }

  @Test
  void theViewShowsTheGroupsAppendfsyncAndEverysecForAGroupWithout() {
    Group g = TestGroups.group("g", 3, GroupState.PROTECTED);
    assertThat(GroupView.of(g).appendfsync()).isEqualTo("everysec");
    GroupSpec always =
        new GroupSpec(
            "g", "kv", 64 << 20, 0, 6379, "127.0.0.1", List.of(), Map.of(), null, null, "always");
    GroupView v = GroupView.of(withSpec(g, always));
    assertThat(v.appendfsync()).isEqualTo("always");
    assertThat(v.network()).isEqualTo("listen");
  }
}
