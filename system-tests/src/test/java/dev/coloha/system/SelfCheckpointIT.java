package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Resp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The fault matrix's "coordinator dies" row, bound: while the coordinator is down (killed, not yet
 * started again), output that needs a checkpoint is released by the proxy's self-checkpoint (it
 * asks the primary's agent itself, in the group's epoch) within about a second, not when the
 * coordinator is back. A {@code TIME} reply differs between the replicas (a CONTENT mismatch on the
 * client's connection). After the coordinator's restart the group is PROTECTED in the same epoch
 * and the coordinator's checkpoint count carries on from the proxy's.
 */
class SelfCheckpointIT {
  /** The bound for a coordinator fault (1 s), with room for a loaded 2-core machine. */
  private static final long BOUND_MS = 1500;

  @Test
  void aMismatchWhileTheCoordinatorIsDownIsReleasedByTheProxyWithinASecond() throws Exception {
    Lab lab = Lab.shared();
    long epoch = lab.awaitProtected("kv", Duration.ofMinutes(3)).get("epoch").asLong();

    try (Resp c = new Resp("127.0.0.1", lab.kvPort, 30_000)) {
      assertThat(c.call("SET", "self-checkpoint-before", "1")).isEqualTo("OK");
      lab.kill("coordinator");
      // the proxy finds that nobody follows the group's events any more (its next heartbeat
      // lines to the dead coordinator fail)
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> counters(lab).get("eventSubscribers").asInt() == 0);
      long selfBefore = counters(lab).get("selfCheckpoints").asLong();

      List<Long> gaps = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        long t0 = System.nanoTime();
        Object time = c.call("TIME"); // the replicas answer differently: held for a checkpoint
        gaps.add((System.nanoTime() - t0) / 1_000_000);
        assertThat(time).isInstanceOf(List.class);
        assertThat(c.call("SET", "self-checkpoint-" + i, Integer.toString(i))).isEqualTo("OK");
      }
      JsonNode during = counters(lab);
      System.out.println(
          "TIME (a CONTENT mismatch) answered after "
              + gaps
              + " ms with the coordinator down; proxy self-checkpoints "
              + (during.get("selfCheckpoints").asLong() - selfBefore)
              + ", failed "
              + during.get("selfCheckpointFailures").asLong()
              + ", committed sequence "
              + during.get("committedSequence").asLong());
      assertThat(during.get("selfCheckpoints").asLong()).isGreaterThan(selfBefore);
      assertThat(gaps).allMatch(ms -> ms <= BOUND_MS, "each reply within " + BOUND_MS + " ms");
      long selfCommitted = during.get("committedSequence").asLong();

      lab.start("coordinator");

      // the restarted coordinator finds the group as it was: PROTECTED, same epoch
      JsonNode back = lab.awaitProtected("kv", Duration.ofMinutes(2));
      assertThat(back.get("epoch").asLong()).isEqualTo(epoch);
      // and its checkpoints carry on above the proxy's: its count and the proxy's agree
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .until(
              () -> {
                lab.post(lab.coordinatorUrl() + "/v1/groups/kv/checkpoint", "{}");
                long coordinator = lab.coordinatorGroup("kv").get("lastCheckpoint").asLong();
                long proxy = counters(lab).get("committedSequence").asLong();
                return coordinator > selfCommitted && coordinator == proxy;
              });
      assertThat(lab.coordinatorGroup("kv").get("state").asString()).isEqualTo("PROTECTED");
      assertThat(lab.coordinatorGroup("kv").get("epoch").asLong()).isEqualTo(epoch);

      // the same connection goes on: every write is there, and a mismatch is released again
      assertThat(c.call("TIME")).isInstanceOf(List.class);
      assertThat(c.call("GET", "self-checkpoint-before")).isEqualTo("1");
      for (int i = 0; i < 5; i++) {
        assertThat(c.call("GET", "self-checkpoint-" + i)).isEqualTo(Integer.toString(i));
      }
    }
  }

  /** The proxy's counters of the kv group ({@code GET /v1/groups/kv} at the proxy). */
  private static JsonNode counters(Lab lab) throws Exception {
    return Lab.JSON.readTree(lab.get(lab.proxyUrl() + "/v1/groups/kv")).get("counters");
  }
}
