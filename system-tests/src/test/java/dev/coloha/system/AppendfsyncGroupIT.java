package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Ports;
import dev.coloha.testkit.Resp;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A group's {@code appendfsync} reaches its guest end to end (issue 18): a kv group with a mirrored
 * disk created through the coordinator's API with {@code "appendfsync":"always"} answers {@code
 * CONFIG GET appendfsync} with {@code always} through the proxy, and so does the new primary after
 * {@code kill -9} of the primary's agent, with the writes acknowledged before the kill.
 */
@Tag("long") // ./colo test --long (CI runs it after ./colo test): docs/testing.md
class AppendfsyncGroupIT {

  @Test
  void aGroupsAppendfsyncReachesItsGuestAndSurvivesAFailover() throws Exception {
    Lab lab = Lab.withoutGroups("appendfsync-lab", 3);
    try {
      protectAndFailOver(lab);
    } finally {
      lab.down();
    }
  }

  private static void protectAndFailOver(Lab lab) throws Exception {
    int port = Ports.free();
    lab.post(
        lab.coordinatorUrl() + "/v1/groups",
        "{\"id\":\"afs\",\"guest\":\"kv\",\"port\":"
            + port
            + ",\"diskBytes\":67108864,\"appendfsync\":\"always\"}");
    JsonNode g = lab.awaitProtected("afs", Duration.ofMinutes(3));
    assertThat(lab.coordinatorGroup("afs").get("appendfsync").asString()).isEqualTo("always");
    String oldPrimary = g.get("primary").get("host").asString();
    String oldSecondary = g.get("secondary").get("host").asString();

    try (Resp client = new Resp("127.0.0.1", port, 60_000)) {
      assertThat(client.call("CONFIG", "GET", "appendfsync"))
          .isEqualTo(List.of("appendfsync", "always"));
      for (int i = 0; i < 50; i++) {
        assertThat(client.call("SET", "afs:" + i, "v" + i)).isEqualTo("OK");
      }
      lab.kill(oldPrimary + "/agent");
      // the same connection, now served by the promoted secondary
      assertThat(client.call("CONFIG", "GET", "appendfsync"))
          .as("the policy on the new primary")
          .isEqualTo(List.of("appendfsync", "always"));
      for (int i = 0; i < 50; i++) {
        assertThat(client.call("GET", "afs:" + i)).isEqualTo("v" + i);
      }
    }
    JsonNode after = lab.awaitProtected("afs", Duration.ofMinutes(2));
    assertThat(after.get("primary").get("host").asString()).isEqualTo(oldSecondary);
    assertThat(lab.coordinatorGroup("afs").get("appendfsync").asString()).isEqualTo("always");
    // the re-protected secondary runs the same policy: a new client after it is in sync
    try (Resp client = new Resp("127.0.0.1", port, 60_000)) {
      assertThat(client.call("CONFIG", "GET", "appendfsync"))
          .isEqualTo(List.of("appendfsync", "always"));
    }
  }
}
