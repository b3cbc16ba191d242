package dev.coloha.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.agent.replication.ReplicationSettings;
import dev.coloha.agent.vm.VmSettings;
import dev.coloha.web.settings.InvalidSettingException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * {@code colo.agent.*} bound as at start-up and mapped into the domain's {@link VmSettings} and
 * {@link ReplicationSettings}: the defaults map into bytes and durations, and a value that cannot
 * work fails with the property named.
 */
class AgentSettingsTest {

  static AgentProperties bind(Map<String, String> values) {
    return new Binder(new MapConfigurationPropertySource(values))
        .bindOrCreate("colo.agent", AgentProperties.class);
  }

  @Test
  void theDefaultsMapIntoTheDomainsUnits() {
    AgentProperties p = bind(Map.of());
    VmSettings vm = p.vmSettings();
    assertThat(vm.vm().defaultMemory()).isEqualTo(64L << 20);
    assertThat(vm.vm().maxMemory()).isEqualTo(1L << 30);
    assertThat(vm.stream().maxFrame()).isEqualTo(2L << 20);
    assertThat(vm.mirror().writeHoldBytes()).isEqualTo(64L << 10);
    assertThat(vm.mirror().secondaryHoldBytes()).isEqualTo(32L << 20);
    assertThat(vm.mirror().maxQueuedBytes()).isEqualTo(64L << 20);
    assertThat(vm.mirror().replyPoll()).isEqualTo(Duration.ofNanos(250_000));
    ReplicationSettings r = p.replicationSettings();
    assertThat(r.checkpointTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(r.precopyBatchPages()).isEqualTo(256);
    assertThat(r.linkFaults()).isEmpty();
  }

  @Test
  void aDefaultMemoryAboveTheMaximumNamesItsProperty() {
    AgentProperties p = bind(Map.of("colo.agent.vm.default-memory", "2GB"));
    assertThatThrownBy(p::vmSettings)
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> assertThat(e.property()).isEqualTo("colo.agent.vm.default-memory"))
        .hasMessageContaining("colo.agent.vm.default-memory=2147483648B")
        .hasMessageContaining("colo.agent.vm.max-memory");
  }

  @Test
  void aSecondaryHoldAboveTheQueuesBoundNamesItsProperty() {
    AgentProperties p = bind(Map.of("colo.agent.mirror.secondary-hold-bytes", "128MB"));
    assertThatThrownBy(p::vmSettings)
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> assertThat(e.property()).isEqualTo("colo.agent.mirror.secondary-hold-bytes"))
        .hasMessageContaining("colo.agent.mirror.max-queued-bytes");
  }

  @Test
  void aReplyPollThatIsNegativeOrLongerThanARequestNamesItsProperty() {
    for (String poll : new String[] {"-1ms", "31s"}) {
      AgentProperties p = bind(Map.of("colo.agent.mirror.reply-poll", poll));
      assertThatThrownBy(p::vmSettings)
          .isInstanceOfSatisfying(
              InvalidSettingException.class,
              e -> assertThat(e.property()).isEqualTo("colo.agent.mirror.reply-poll"));
    }
    assertThat(bind(Map.of("colo.agent.mirror.reply-poll", "0")).vmSettings().mirror().replyPoll())
        .isZero();
  }

  @Test
  void aLowWatermarkNotBelowTheHighOneNamesItsProperty() {
    AgentProperties p = bind(Map.of("colo.agent.stream.output-low-watermark", "8MB"));
    assertThatThrownBy(p::vmSettings)
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> assertThat(e.property()).isEqualTo("colo.agent.stream.output-low-watermark"));
  }

  @Test
  void aZeroCheckpointTimeoutNamesItsProperty() {
    AgentProperties p = bind(Map.of("colo.agent.replication.checkpoint-timeout", "0s"));
    assertThatThrownBy(p::replicationSettings)
        .isInstanceOfSatisfying(
            InvalidSettingException.class,
            e -> assertThat(e.property()).isEqualTo("colo.agent.replication.checkpoint-timeout"))
        .hasMessageContaining("above 0");
  }
}
