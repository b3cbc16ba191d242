package dev.coloha.coordinator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.microvm.Appendfsync;
import dev.coloha.microvm.WasiLaunch;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * A group's network model, files and appendfsync policy are part of its spec: they survive the
 * store's JSON (a coordinator that restarts re-protects an inetd group as an inetd group), and a
 * spec stored before they existed reads as the listening-socket contract without files.
 */
class GroupSpecTest {
  private final JsonMapper json = JsonMapper.builder().build();

  @Test
  void theNetworkModelAndTheFilesSurviveTheStore() {
    GroupSpec spec =
        new GroupSpec(
            "g",
            "micro-httpd",
            1 << 20,
            16 << 20,
            8080,
            "127.0.0.1",
            List.of("/data"),
            Map.of(),
            "inetd",
            Map.of("hello.txt", "hi\n"),
            null);
    GroupSpec back = json.readValue(json.writeValueAsString(spec), GroupSpec.class);
    assertThat(back).isEqualTo(spec);
    WasiLaunch launch = back.launch();
    assertThat(launch.network()).isEqualTo(WasiLaunch.Network.INETD);
    assertThat(launch.files()).containsExactly(Map.entry("hello.txt", "hi\n"));
    assertThat(launch.args()).containsExactly("/data");
  }

  @Test
  void aSpecStoredBeforeTheyExistedListens() {
    String old =
        "{\"id\":\"g\",\"guest\":\"tally\",\"memoryBytes\":1,\"diskBytes\":0,\"port\":80,"
            + "\"bindAddress\":\"127.0.0.1\",\"args\":[],\"env\":{}}";
    GroupSpec spec = json.readValue(old, GroupSpec.class);
    assertThat(spec.network()).isEqualTo("listen");
    assertThat(spec.files()).isEmpty();
    assertThat(spec.launch().inetd()).isFalse();
  }

  @Test
  void theAppendfsyncPolicySurvivesTheStoreAndReachesTheVmsEnvironment() {
    GroupSpec spec =
        new GroupSpec(
            "g",
            "kv",
            1 << 20,
            16 << 20,
            6379,
            "127.0.0.1",
            List.of(),
            Map.of("A", "1"),
            null,
            null,
            "always");
    GroupSpec back = json.readValue(json.writeValueAsString(spec), GroupSpec.class);
    assertThat(back).isEqualTo(spec);
    assertThat(back.appendfsync()).isEqualTo("always");
    assertThat(back.launch().env())
        .containsExactlyInAnyOrderEntriesOf(Map.of("A", "1", Appendfsync.ENV, "always"));
    assertThat(back.launch().wasiOnlyField()).isEmpty(); // kv (ABI v1) takes it
  }

  @Test
  void aSpecStoredBeforeAppendfsyncReadsAsEverysecAndAddsNothingToTheEnvironment() {
    String old =
        "{\"id\":\"g\",\"guest\":\"kv\",\"memoryBytes\":1,\"diskBytes\":0,\"port\":80,"
            + "\"bindAddress\":\"127.0.0.1\",\"args\":[],\"env\":{},\"network\":\"listen\"}";
    GroupSpec spec = json.readValue(old, GroupSpec.class);
    assertThat(spec.appendfsync()).isEqualTo("everysec");
    assertThat(spec.launch().env()).isEmpty();
  }

  @Test
  void aBadPolicyOrAnEnvironmentThatSetsItIsRefusedNamingTheField() {
    assertThatThrownBy(() -> GroupSpec.launch(List.of(), Map.of(), null, Map.of(), "sometimes"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("appendfsync: ");
    assertThatThrownBy(
            () -> GroupSpec.launch(List.of(), Map.of(Appendfsync.ENV, "no"), null, Map.of(), null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("env: ");
  }
}
