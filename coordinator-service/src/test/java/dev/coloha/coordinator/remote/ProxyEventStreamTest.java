package dev.coloha.coordinator.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.api.proxy.ProxyEvent;
import dev.coloha.api.proxy.ProxyEventType;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The coordinator reads each line of the proxy's event stream back into the record it was. */
class ProxyEventStreamTest {
  private final JsonMapper json = JsonMapper.builder().build();
  private final Instant t = Instant.parse("2026-12-06T16:00:00.123456Z");

  private List<ProxyEvent> everyType() {
    return List.of(
        new ProxyEvent.Mismatch(
            1,
            ProxyEventType.MISMATCH,
            "kv",
            t,
            7,
            ProxyEvent.Mismatch.Kind.TIMEOUT,
            3,
            41,
            100,
            120,
            100,
            "+OK\\r\\n",
            "",
            "2b4f4b0d0a",
            "",
            "the secondary stayed behind",
            true,
            "/v1/groups/kv/mismatches/7/pcap"),
        new ProxyEvent.Pressure(
            2,
            ProxyEventType.PRESSURE,
            "kv",
            t,
            ProxyEvent.Pressure.Reason.RETAINED,
            null,
            9,
            8,
            true),
        new ProxyEvent.StreamBroken(
            3,
            ProxyEventType.STREAM_BROKEN,
            "kv",
            t,
            "SECONDARY",
            "http://10.0.0.2:7701",
            "kv",
            "output",
            "EOF"),
        new ProxyEvent.Switched(
            4, ProxyEventType.FAILOVER, "kv", t, 8, "SINGLE", "http://10.0.0.2:7701/kv", null, 2),
        new ProxyEvent.Switched(
            5,
            ProxyEventType.SECONDARY_ATTACHED,
            "kv",
            t,
            8,
            "COLO",
            "http://10.0.0.2:7701/kv",
            "http://10.0.0.3:7701/kv",
            0),
        new ProxyEvent.SelfCheckpoint(
            6, ProxyEventType.SELF_CHECKPOINT, "kv", t, 8, 50, "http://10.0.0.2:7701/kv", true),
        new ProxyEvent.SelfCheckpointFailed(
            7,
            ProxyEventType.SELF_CHECKPOINT_FAILED,
            "kv",
            t,
            8,
            51,
            "http://10.0.0.2:7701/kv",
            "stale-epoch",
            "fenced",
            true),
        new ProxyEvent.Heartbeat(7, ProxyEventType.HEARTBEAT, "kv", t));
  }

  @Test
  void everyEventTheProxyWritesIsReadBackAsTheSameRecord() {
    Set<ProxyEventType> seen = EnumSet.noneOf(ProxyEventType.class);
    for (ProxyEvent e : everyType()) {
      String line = json.writeValueAsString(e);
      assertThat(line).contains("\"type\":\"" + e.type().slug() + "\"");
      assertThat(ProxyEventStream.parse(json, line)).contains(e);
      seen.add(e.type());
    }
    assertThat(seen).containsExactlyInAnyOrder(ProxyEventType.values());
  }

  @Test
  void anEventOfATypeThisBuildDoesNotKnowIsSkippedAndUnknownMembersToo() {
    assertThat(
            ProxyEventStream.parse(
                json,
                "{\"id\":9,\"type\":\"renamed\",\"group\":\"kv\",\"checkpointRequested\":true}"))
        .isEmpty();
    assertThat(
            ProxyEventStream.parse(
                json,
                "{\"id\":9,\"type\":\"heartbeat\",\"group\":\"kv\",\"time\":\"2026-12-06T16:00:00Z\","
                    + "\"colour\":\"blue\"}"))
        .contains(
            new ProxyEvent.Heartbeat(
                9, ProxyEventType.HEARTBEAT, "kv", Instant.parse("2026-12-06T16:00:00Z")));
  }
}
