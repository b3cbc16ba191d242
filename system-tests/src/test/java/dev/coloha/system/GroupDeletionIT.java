package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Command;
import dev.coloha.testkit.Ports;
import dev.coloha.testkit.Resp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code DELETE /v1/groups/{id}} removes the group everywhere, as each service's own API shows: its
 * VMs on every agent, its volumes on every mirror, its listener on the proxy (the port closed, the
 * proxy's list without it). For a PROTECTED group deleted while one host's agent is frozen and its
 * mirror down (swept when they are back), and for a group that ended FAILED. And isolation: a bad
 * group whose agent calls are refused (4xx) beside a loaded good group changes nothing of the good
 * group (epoch, state, checkpoint failures).
 */
@Tag("long") // ./colo test --long (CI runs it after ./colo test): docs/testing.md
class GroupDeletionIT {
  private static final String[] HOSTS = {"host-1", "host-2"};
  private static Lab lab;

  @BeforeAll
  static void up() throws Exception {
    lab =
        Lab.withoutGroups(
            "deletion-lab",
            2,
            "coordinator:colo.coordinator.create-attempts=2",
            "coordinator:colo.coordinator.create-timeout=1s");
  }

  @AfterAll
  static void down() throws Exception {
    if (lab != null) {
      lab.down();
    }
  }

  @Test
  void aProtectedGroupIsRemovedEverywhereEvenFromAHostThatWasDownAtTheDelete() throws Exception {
    int port = Ports.free();
    createGroup("gone", port, 16 << 20);
    lab.awaitProtected("gone", Duration.ofMinutes(3));
    assertHeldEverywhere("gone");
    assertThat(proxyGroups()).contains("gone");
    assertThat(listens(port)).isTrue();

    // host-2's agent frozen (it keeps its VM and answers nothing; the kernel may queue the DELETE
    // for it, handled when it resumes, or it is swept when it beats again), its mirror crashed
    // (its volume stays on disk, and only the sweep at its registration removes it)
    long agentPid = lab.hostPid("host-2", "agent");
    Command.signal("STOP", agentPid);
    lab.kill("host-2/mirror");
    try {
      assertThat(lab.delete(lab.coordinatorUrl() + "/v1/groups/gone")).isEqualTo(204);
      assertThat(vms("host-1")).doesNotContain("gone");
      assertThat(volumes("host-1")).doesNotContain("gone");
      assertThat(proxyGroups()).doesNotContain("gone");
      assertThat(listens(port)).as("the proxy's listener is closed").isFalse();
    } finally {
      Command.signal("CONT", agentPid);
      lab.start("host-2/mirror");
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              assertThat(vms("host-2")).as("the VM the frozen agent kept").doesNotContain("gone");
              assertThat(volumes("host-2"))
                  .as("the volume the crashed mirror kept on disk")
                  .doesNotContain("gone");
            });
    assertThat(groupIds()).doesNotContain("gone");
  }

  @Test
  void aGroupThatEndedFailedIsRemovedEverywhere() throws Exception {
    int port = Ports.free();
    createGroup("stuck", port, 16 << 20);
    // the port is taken on the proxy's host after the group was admitted: the proxy cannot listen,
    // the group's replicas are created but it is never served, and it ends FAILED
    try (ServerSocket squatter = new ServerSocket()) {
      squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(250))
          .ignoreExceptions()
          .until(() -> lab.coordinatorGroup("stuck").get("state").asString().equals("FAILED"));
      JsonNode failed = lab.coordinatorGroup("stuck");
      assertThat(failed.get("primary").isNull()).as("it was placed: " + failed).isFalse();
      assertThat(vms(failed.get("primary").get("host").asString())).contains("stuck");

      assertThat(lab.delete(lab.coordinatorUrl() + "/v1/groups/stuck")).isEqualTo(204);
    }
    for (String h : HOSTS) {
      assertThat(vms(h)).as("VMs on " + h).doesNotContain("stuck");
      assertThat(volumes(h)).as("volumes on " + h).doesNotContain("stuck");
    }
    assertThat(proxyGroups()).doesNotContain("stuck");
    assertThat(listens(port)).isFalse();
    assertThat(groupIds()).doesNotContain("stuck");
  }

  @Test
  void aBadGroupBesideALoadedGoodOneChangesNothingOfIt() throws Exception {
    int goodPort = Ports.free();
    int badPort = Ports.free();
    createGroup("good", goodPort, 16 << 20);
    createGroup("bad", badPort, 0);
    lab.awaitProtected("good", Duration.ofMinutes(3));
    lab.awaitProtected("bad", Duration.ofMinutes(3));
    JsonNode before = lab.coordinatorGroup("good");
    long epoch = before.get("epoch").asLong();
    long failures = before.get("counters").get("checkpointFailures").asLong();

    AtomicBoolean loading = new AtomicBoolean(true);
    AtomicLong acknowledged = new AtomicLong();
    AtomicReference<Throwable> clientError = new AtomicReference<>();
    Thread load =
        Thread.ofPlatform()
            .start(
                () -> {
                  try (Resp c = new Resp("127.0.0.1", goodPort, 60_000)) {
                    for (long i = 0; loading.get(); i++) {
                      if (!"OK".equals(c.call("SET", "isolation-" + (i % 100), Long.toString(i)))) {
                        throw new IOException("SET " + i + " not OK");
                      }
                      acknowledged.incrementAndGet();
                    }
                  } catch (Throwable t) {
                    clientError.set(t);
                  }
                });
    // the bad group's VMs vanish behind the coordinator's back: every agent call for it is a 404
    List<String> refusals = new ArrayList<>();
    // for 20 s, every 200 ms: the bad group's VMs deleted again and a checkpoint asked; the good
    // group is PROTECTED in the same epoch with no checkpoint failure added at every look (the
    // first look that is not fails the test at once)
    await("the good group untouched while the bad one is refused")
        .during(Duration.ofSeconds(20))
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              for (String h : HOSTS) {
                lab.delete(lab.hostUrl(h, "agent") + "/v1/vms/bad");
              }
              try {
                lab.post(lab.coordinatorUrl() + "/v1/groups/bad/checkpoint", "{}");
              } catch (IOException e) {
                refusals.add(e.getMessage());
              }
              JsonNode good = lab.coordinatorGroup("good");
              assertThat(good.get("state").asString()).as("good: " + good).isEqualTo("PROTECTED");
              assertThat(good.get("epoch").asLong()).as("good's epoch").isEqualTo(epoch);
              assertThat(good.get("counters").get("checkpointFailures").asLong())
                  .as("good's checkpoint failures")
                  .isEqualTo(failures);
              return true;
            });
    loading.set(false);
    load.join(30_000);
    assertThat(clientError.get()).as("the good group's client").isNull();
    assertThat(refusals).as("the bad group's checkpoints were refused").isNotEmpty();
    JsonNode good = lab.coordinatorGroup("good");
    assertThat(good.get("epoch").asLong()).isEqualTo(epoch);
    assertThat(good.get("counters").get("checkpoints").asLong())
        .as("good kept checkpointing")
        .isGreaterThan(before.get("counters").get("checkpoints").asLong());
    System.out.println(
        "isolation: "
            + acknowledged.get()
            + " SETs acknowledged on good, "
            + refusals.size()
            + " refused checkpoints of bad, good's epoch "
            + epoch
            + " unchanged, 0 checkpoint failures added");
    assertThat(lab.delete(lab.coordinatorUrl() + "/v1/groups/bad")).isEqualTo(204);
    assertThat(lab.delete(lab.coordinatorUrl() + "/v1/groups/good")).isEqualTo(204);
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static void createGroup(String id, int port, long diskBytes) throws Exception {
    lab.post(
        lab.coordinatorUrl() + "/v1/groups",
        Lab.JSON.writeValueAsString(
            Map.of(
                "id",
                id,
                "guest",
                "kv",
                "port",
                port,
                "bindAddress",
                "127.0.0.1",
                "diskBytes",
                diskBytes)));
  }

  private static List<String> ids(String url, String field) throws Exception {
    List<String> ids = new ArrayList<>();
    for (JsonNode n : Lab.JSON.readTree(lab.get(url))) {
      ids.add(n.get(field).asString());
    }
    return ids;
  }

  private static List<String> vms(String host) throws Exception {
    return ids(lab.hostUrl(host, "agent") + "/v1/vms", "id");
  }

  private static List<String> volumes(String host) throws Exception {
    return ids(lab.hostUrl(host, "mirror") + "/v1/volumes", "id");
  }

  private static List<String> proxyGroups() throws Exception {
    return ids(lab.proxyUrl() + "/v1/groups", "name");
  }

  private static List<String> groupIds() throws Exception {
    return ids(lab.coordinatorUrl() + "/v1/groups", "id");
  }

  private static void assertHeldEverywhere(String id) throws Exception {
    for (String h : HOSTS) {
      assertThat(vms(h)).as("VMs on " + h).contains(id);
      assertThat(volumes(h)).as("volumes on " + h).contains(id);
    }
  }

  private static boolean listens(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
