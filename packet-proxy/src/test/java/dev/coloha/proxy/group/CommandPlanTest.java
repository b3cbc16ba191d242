package dev.coloha.proxy.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.api.proxy.GroupLimits;
import dev.coloha.wire.GroupConflictException;
import dev.coloha.wire.StaleEpochException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The checks of a reconfiguration and of a failover, before anything changes: which requests are
 * refused (and why), which are repeats, and what an accepted one does.
 */
class CommandPlanTest {
  private static final ReplicaRef P = new ReplicaRef("http://a:1", "p");
  private static final ReplicaRef S = new ReplicaRef("http://b:1", "s");
  private static final ReplicaRef T = new ReplicaRef("http://c:1", "t");
  private static final GroupLimits LIMITS = new GroupLimits(10, 20, 30, 40, 5);
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final Commit SYNC = new Commit(3, 9, Map.of(1, 5L), Map.of(1, 2L), Set.of());

  private static GroupSpec spec(
      long epoch,
      int port,
      GroupSpec.Mode mode,
      ReplicaRef primary,
      ReplicaRef secondary,
      Duration timeout,
      GroupLimits limits,
      Commit sync) {
    return new GroupSpec(
        "g", epoch, "127.0.0.1", port, mode, primary, secondary, timeout, limits, sync, null);
  }

  /** The group now: epoch 3 on port 7000, P primary, S secondary. */
  private static final GroupSpec CURRENT =
      spec(3, 7000, GroupSpec.Mode.COLO, P, S, TIMEOUT, LIMITS, null);

  private static Reconfiguration plan(GroupSpec asked) {
    return Reconfiguration.plan(CURRENT, P, S, asked);
  }

  @Test
  void aReconfigurationIsRefusedForWhatItCannotChange() {
    assertThatThrownBy(() -> plan(spec(2, 0, GroupSpec.Mode.COLO, P, S, TIMEOUT, LIMITS, null)))
        .isInstanceOf(StaleEpochException.class);
    assertThatThrownBy(() -> plan(spec(4, 7001, GroupSpec.Mode.COLO, P, S, TIMEOUT, LIMITS, null)))
        .isInstanceOf(GroupConflictException.class)
        .hasMessageContaining("listen address");
    assertThatThrownBy(() -> plan(spec(4, 0, GroupSpec.Mode.COLO, T, S, TIMEOUT, LIMITS, null)))
        .isInstanceOf(GroupConflictException.class)
        .hasMessageContaining("failover");
    assertThatThrownBy(
            () -> plan(spec(3, 0, GroupSpec.Mode.COLO, P, S, Duration.ofSeconds(9), LIMITS, null)))
        .isInstanceOf(GroupConflictException.class)
        .hasMessageContaining("epoch above 3");
    assertThatThrownBy(() -> plan(spec(4, 0, GroupSpec.Mode.COLO, P, T, TIMEOUT, LIMITS, null)))
        .isInstanceOf(GroupConflictException.class)
        .hasMessageContaining("synced");
  }

  @Test
  void theSameSpecificationInTheSameEpochIsARepeat() {
    Reconfiguration r = plan(spec(3, 0, GroupSpec.Mode.COLO, P, S, TIMEOUT, LIMITS, SYNC));
    assertThat(r.repeated()).isTrue();
    assertThat(r.next()).isEqualTo(CURRENT);
  }

  @Test
  void anAcceptedReconfigurationSaysWhatChanges() {
    Reconfiguration settingsOnly =
        plan(spec(4, 7000, GroupSpec.Mode.COLO, P, S, Duration.ofSeconds(9), LIMITS, null));
    assertThat(settingsOnly.repeated()).isFalse();
    assertThat(settingsOnly.dropSecondary()).isFalse();
    assertThat(settingsOnly.attach()).isNull();
    assertThat(settingsOnly.next())
        .isEqualTo(spec(4, 7000, GroupSpec.Mode.COLO, P, S, Duration.ofSeconds(9), LIMITS, null));

    Reconfiguration replaced = plan(spec(4, 0, GroupSpec.Mode.COLO, P, T, TIMEOUT, LIMITS, SYNC));
    assertThat(replaced.dropSecondary()).isTrue();
    assertThat(replaced.attach()).isEqualTo(T);
    assertThat(replaced.next().port()).isEqualTo(7000);
    assertThat(replaced.next().sync()).isEqualTo(SYNC);

    Reconfiguration passthrough =
        plan(spec(4, 0, GroupSpec.Mode.PASSTHROUGH, P, null, TIMEOUT, LIMITS, null));
    assertThat(passthrough.dropSecondary()).isTrue();
    assertThat(passthrough.attach()).isNull();
    assertThat(passthrough.next().secondary()).isNull();

    Reconfiguration attach =
        Reconfiguration.plan(
            spec(3, 7000, GroupSpec.Mode.COLO, P, null, TIMEOUT, LIMITS, null),
            P,
            null,
            spec(4, 0, GroupSpec.Mode.COLO, P, S, TIMEOUT, LIMITS, SYNC));
    assertThat(attach.dropSecondary()).isFalse();
    assertThat(attach.attach()).isEqualTo(S);
  }

  @Test
  void aFailoverIsCheckedAndClassified() {
    assertThatThrownBy(() -> FailoverPlan.plan(CURRENT, P, S, 2, S))
        .isInstanceOf(StaleEpochException.class);
    assertThatThrownBy(() -> FailoverPlan.plan(CURRENT, P, S, 3, S))
        .isInstanceOf(GroupConflictException.class)
        .hasMessageContaining("epoch above 3");
    assertThat(FailoverPlan.plan(CURRENT, P, null, 3, P).kind())
        .isEqualTo(FailoverPlan.Kind.REPEATED);
    assertThat(FailoverPlan.plan(CURRENT, P, S, 4, S).kind())
        .isEqualTo(FailoverPlan.Kind.TO_SECONDARY);
    assertThat(FailoverPlan.plan(CURRENT, P, S, 4, P).kind())
        .isEqualTo(FailoverPlan.Kind.TO_PRIMARY);
    assertThat(FailoverPlan.plan(CURRENT, P, S, 4, T).kind())
        .isEqualTo(FailoverPlan.Kind.TO_OTHER_VM);

    GroupSpec after = FailoverPlan.plan(CURRENT, P, S, 4, S).apply(CURRENT);
    assertThat(after.epoch()).isEqualTo(4);
    assertThat(after.primary()).isEqualTo(S);
    assertThat(after.secondary()).isNull();
    assertThat(after.port()).isEqualTo(7000);
  }
}
