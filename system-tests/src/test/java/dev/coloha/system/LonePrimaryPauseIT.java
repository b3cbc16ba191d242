package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Command;
import dev.coloha.testkit.Ports;
import dev.coloha.testkit.Resp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * A group without a secondary (a lab of one host: nobody to pair with) whose primary's agent is
 * paused for several heartbeats ({@code kill -STOP}, as a host starved of CPU or frozen by its
 * hypervisor would be) is waited for, not declared FAILED: that primary is the only copy of the
 * service. When it runs again the group goes on, and every acknowledged write is there. A primary
 * whose agent really dies ({@code kill -9}) still ends the group at once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LonePrimaryPauseIT {
  private static Lab lab;
  private static int kvPort;

  @BeforeAll
  static void up() throws Exception {
    lab = Lab.withoutGroups("lone-primary-lab", 1);
    kvPort = Ports.free();
    lab.post(
        lab.coordinatorUrl() + "/v1/groups",
        "{\"id\":\"lone\",\"guest\":\"kv\",\"port\":" + kvPort + "}");
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> lab.coordinatorGroup("lone").get("state").asString().equals("DEGRADED"));
  }

  @AfterAll
  static void down() throws Exception {
    if (lab != null) {
      lab.down();
    }
  }

  @Test
  @Order(1)
  void aPausedLonePrimaryIsWaitedForAndServesOnWhenItRunsAgain() throws Exception {
    long pid = lab.labJson().get("hosts").get(0).get("agent").get("pid").asLong();
    JsonNode before = lab.coordinatorGroup("lone");
    try (Resp c = new Resp("127.0.0.1", kvPort, 60_000)) {
      for (int i = 0; i < 20; i++) {
        assertThat(c.call("SET", "pause-" + i, Integer.toString(i))).isEqualTo("OK");
      }
    }

    Command.signal("STOP", pid);
    List<String> statesWhilePaused = new ArrayList<>();
    try {
      // the policy's suspect-after is 1 s (4 beats of 250 ms) and a probe times out after 1 s:
      // 6 s of pause is several detections long; the first FAILED seen fails the test at once
      await("the group while its agent is paused")
          .during(Duration.ofSeconds(6))
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(300))
          .until(
              () -> {
                String state = lab.coordinatorGroup("lone").get("state").asString();
                statesWhilePaused.add(state);
                assertThat(state)
                    .as("states while paused: %s", statesWhilePaused)
                    .isNotEqualTo("FAILED");
                return true;
              });
    } finally {
      Command.signal("CONT", pid);
    }
    assertThat(history()).as("the pause was noticed").contains("primary-unreachable");

    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> history().contains("primary-reachable"));
    JsonNode after = lab.coordinatorGroup("lone");
    assertThat(after.get("state").asString()).isEqualTo("DEGRADED");
    assertThat(after.get("epoch").asLong())
        .as("nothing to fence")
        .isEqualTo(before.get("epoch").asLong());
    try (Resp c = new Resp("127.0.0.1", kvPort, 60_000)) {
      for (int i = 0; i < 20; i++) {
        assertThat(c.call("GET", "pause-" + i)).isEqualTo(Integer.toString(i));
      }
      assertThat(c.call("SET", "after-pause", "yes")).isEqualTo("OK");
    }
  }

  @Test
  @Order(2)
  void aLonePrimaryWhoseAgentDiesEndsTheGroup() throws Exception {
    // after the pause test (the kill ends every VM of the host): a group of its own
    int port = Ports.free();
    lab.post(
        lab.coordinatorUrl() + "/v1/groups",
        "{\"id\":\"lone-dies\",\"guest\":\"kv\",\"port\":" + port + "}");
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> lab.coordinatorGroup("lone-dies").get("state").asString().equals("DEGRADED"));
    lab.kill("host-1/agent");
    try {
      // the VM died with its agent: the proxy's stream to it broke, there is nothing to wait for
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(() -> lab.coordinatorGroup("lone-dies").get("state").asString().equals("FAILED"));
    } finally {
      lab.start("host-1/agent");
    }
  }

  private static String history() throws Exception {
    return lab.get(lab.coordinatorUrl() + "/v1/groups/lone/history");
  }
}
