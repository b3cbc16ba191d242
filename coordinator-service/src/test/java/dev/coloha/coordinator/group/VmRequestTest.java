package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.coordinator.model.Group;
import dev.coloha.coordinator.model.GroupSpec;
import dev.coloha.coordinator.model.GroupState;
import dev.coloha.coordinator.model.Replica;
import dev.coloha.coordinator.model.TestGroups;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The agent's {@code POST /v1/vms} body as the coordinator sends it ({@link Pairing#vm}): the
 * {@code CreateVmRequest} of colo-api, written with only what is set, as the map it replaced.
 */
class VmRequestTest {
  private final JsonMapper json = JsonMapper.builder().build();

  @Test
  void aVmWithoutDiskOrLaunchSendsItsIdGuestLimitsAndStartOnly() {
    Group g = TestGroups.group("g", 3, GroupState.PROTECTED);
    assertThat(json.writeValueAsString(Pairing.vm(g, g.primary(), true)))
        .isEqualTo(
            "{\"id\":\"g\",\"guest\":\"kv\",\"memoryBytes\":67108864,\"diskBytes\":0,"
                + "\"start\":true}");
  }

  @Test
  void aVmOnAVolumeWithAWasiLaunchSendsTheMirrorInTheDiskEpochAndTheLaunch() {
    GroupSpec spec =
        new GroupSpec(
            "g",
            "web",
            1 << 20,
            1 << 20,
            8080,
            "127.0.0.1",
            List.of("-v"),
            Map.of("A", "1"),
            "inetd",
            Map.of("index.html", "x"),
            null);
    // only the spec and the disk epoch count here
    Group g =
        new Group(
            spec,
            null,
            GroupState.PROTECTED,
            3,
            null,
            null,
            null,
            -1,
            null,
            null,
            null,
            null,
            2,
            null);
    Replica s = new Replica("h2", "http://127.0.0.1:2", "http://127.0.0.1:7702", "g", "g-vol");
    assertThat(json.writeValueAsString(Pairing.vm(g, s, false)))
        .isEqualTo(
            "{\"id\":\"g\",\"guest\":\"web\",\"memoryBytes\":1048576,\"diskBytes\":1048576,"
                + "\"start\":false,"
                + "\"mirror\":{\"url\":\"http://127.0.0.1:7702\",\"volume\":\"g-vol\",\"epoch\":2},"
                + "\"args\":[\"-v\"],\"env\":{\"A\":\"1\"},\"network\":\"inetd\","
                + "\"files\":{\"index.html\":\"x\"}}");
  }
}
