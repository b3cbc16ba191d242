package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Resp;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Replays the sequence after which a kv group once stopped answering for good (issue 15, point 2):
 * the primary's agent is killed (failover), then the new secondary's (secondary lost), the group is
 * re-protected, and a fresh connection sends 500 pipelined GETs. Every reply must come, and be
 * right; a new connection's PING too.
 */
class FailoverThenReprotectBurstIT {
  private static final int BURST = 500;

  @Test
  void aPipelinedBurstOnANewConnectionIsAnsweredAfterFailoverSecondaryLossAndReprotection()
      throws Exception {
    Lab lab = Lab.shared();
    JsonNode g = lab.awaitProtected("kv", Duration.ofMinutes(3));
    long epoch = g.get("epoch").asLong();
    try (Resp c = new Resp("127.0.0.1", lab.kvPort, 60_000)) {
      assertThat(c.call("SET", "burst-key", "burst-value")).isEqualTo("OK");
    }

    // 1. failover: the primary's agent dies
    String primary = g.get("primary").get("host").asString() + "/agent";
    lab.kill(primary);
    JsonNode afterFailover = awaitProtectedAbove(lab, epoch);
    lab.start(primary);

    // 2. the new secondary dies: the primary goes on alone, then re-protects
    String secondary = afterFailover.get("secondary").get("host").asString() + "/agent";
    lab.kill(secondary);
    JsonNode reprotected = awaitProtectedAbove(lab, afterFailover.get("epoch").asLong());
    lab.start(secondary);

    // 3. a fresh connection, a pipelined burst: every reply comes, and is right
    try (Resp c = new Resp("127.0.0.1", lab.kvPort, 60_000)) {
      List<Object> replies = c.pipelined(BURST, "GET", "burst-key");
      assertThat(replies).hasSize(BURST).containsOnly("burst-value");
      assertThat(c.call("INCR", "burst-counter")).isInstanceOf(Long.class);
    }
    try (Resp c = new Resp("127.0.0.1", lab.kvPort, 30_000)) {
      assertThat(c.call("PING")).isEqualTo("PONG");
    }
    System.out.println(
        "burst after failover (epoch "
            + afterFailover.get("epoch").asLong()
            + ") and re-protection (epoch "
            + reprotected.get("epoch").asLong()
            + "): "
            + BURST
            + " pipelined GETs answered");
  }

  private static JsonNode awaitProtectedAbove(Lab lab, long epoch) throws Exception {
    JsonNode[] last = new JsonNode[1];
    await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              last[0] = lab.group("kv");
              return last[0].get("epoch").asLong() > epoch
                  && "PROTECTED".equals(last[0].get("state").asString());
            });
    return last[0];
  }
}
