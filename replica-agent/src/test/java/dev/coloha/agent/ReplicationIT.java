package dev.coloha.agent;

import static dev.coloha.agent.testing.Pairs.pair;
import static dev.coloha.testkit.Http.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.agent.testing.ReplicaIo;
import dev.coloha.testkit.Http;
import dev.coloha.testkit.MiniCluster;
import dev.coloha.testkit.ServiceProcess;
import dev.coloha.wire.io.IoFrame;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

/**
 * Two agent processes on loopback: a kv primary and its secondary receive the same input; answers
 * that depend on each host's clock and random source make them diverge; after each checkpoint the
 * secondary's memory digest equals the primary's at the pause, and its output from the checkpoint
 * offsets on equals the primary's for the same input.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicationIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  MiniCluster cluster;
  ServiceProcess hostA;
  ServiceProcess hostB;

  @BeforeAll
  void agents() {
    // agent data and logs stay under target/ for a look after a failure
    cluster =
        MiniCluster.under(Path.of("target", "it", "replication"))
            .agents("host-a", "host-b")
            .start();
    hostA = cluster.agent("host-a");
    hostB = cluster.agent("host-b");
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * Sends the same text to both replicas on {@code conn} and waits until both answered PONG last.
   */
  static void both(ReplicaIo a, ReplicaIo b, int conn, String text) {
    a.send(conn, text + "PING\r\n");
    b.send(conn, text + "PING\r\n");
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(tail(a.text(conn))).as("primary's output").endsWith("+PONG\r\n");
              assertThat(tail(b.text(conn))).as("secondary's output").endsWith("+PONG\r\n");
            });
  }

  private static String tail(String s) {
    return s.length() > 300 ? "..." + s.substring(s.length() - 300) : s;
  }

  @Test
  void theSecondaryMatchesThePrimaryAfterEveryCheckpoint() {
    ok(
        hostA
            .api()
            .post("/v1/vms", "{\"id\":\"p1\",\"guest\":\"kv\",\"diskBytes\":0,\"start\":true}"));
    ok(hostB.api().post("/v1/vms", "{\"id\":\"s1\",\"guest\":\"kv\",\"diskBytes\":0}"));
    pair(hostA, "p1", hostB, "s1", 1);

    boolean diverged = false;
    try (ReplicaIo p = new ReplicaIo(hostA.url(), "p1", 1);
        ReplicaIo s = new ReplicaIo(hostB.url(), "s1", 1)) {
      long lastSequence = -1;
      for (int round = 1; round <= 6; round++) {
        int conn = round;
        p.open(conn);
        s.open(conn);
        StringBuilder cmds = new StringBuilder();
        for (int i = 0; i < 30; i++) {
          cmds.append("SET key:")
              .append(round)
              .append(':')
              .append(i)
              .append(" v")
              .append(i)
              .append(" EX 100\r\n");
        }
        // a value large enough to grow memory: a RESP bulk string (inline requests stop at 64 KiB)
        String key = "big:" + round;
        String value = "x".repeat(40_000 * round);
        cmds.append("INCR counter\r\nTIME\r\nRANDOMKEY\r\n*3\r\n$3\r\nSET\r\n$")
            .append(key.length())
            .append("\r\n")
            .append(key)
            .append("\r\n$")
            .append(value.length())
            .append("\r\n")
            .append(value)
            .append("\r\n");
        both(p, s, conn, cmds.toString());
        if (!p.text(conn).equals(s.text(conn))) {
          diverged = true; // TIME, RANDOMKEY: each host's own clock and random source
        }

        JsonNode ck =
            ok(hostA.api().post("/v1/vms/p1/checkpoint", "{\"epoch\":1,\"verify\":true}"));
        long seq = ck.get("sequence").asLong();
        assertThat(seq).isGreaterThan(lastSequence);
        lastSequence = seq;
        assertThat(ck.get("secondaryDigest").asString())
            .as(
                "round %d: the secondary's memory right after the apply equals the primary's at the pause",
                round)
            .isEqualTo(ck.get("primaryDigest").asString());
        assertThat(ck.get("pages").asInt()).isPositive();
        assertThat(ck.get("pauseMicros").asDouble()).isPositive();
        long outputAtPause = -1;
        for (JsonNode o : ck.get("outputOffsets")) {
          if (o.get("conn").asInt() == conn) {
            outputAtPause = o.get("offset").asLong();
          }
        }
        assertThat(outputAtPause).isEqualTo(p.text(conn).length());

        // the same deterministic input after the checkpoint: the same output from its offsets on
        both(
            p,
            s,
            conn,
            "GET key:" + round + ":7\r\nINCR counter\r\nDBSIZE\r\nEXISTS big:" + round + "\r\n");
        String fromP = p.text(conn, seq + 1);
        String fromS = s.text(conn, seq + 1);
        assertThat(fromS).as("round %d: output after checkpoint %d", round, seq).isEqualTo(fromP);
        assertThat(fromP).startsWith("$2\r\nv7\r\n");
        IoFrame.Output firstAfter =
            s.frames(conn).stream().filter(f -> f.interval() > seq).findFirst().orElseThrow();
        assertThat(firstAfter.offset()).isEqualTo(outputAtPause);
      }
      assertThat(diverged).as("the replicas really diverged between checkpoints").isTrue();
      assertThat(s.control()).anySatisfy(f -> assertThat(f).isInstanceOf(IoFrame.Interval.class));
      assertThat(p.failure()).isNull();
      assertThat(s.failure()).isNull();
    }
    JsonNode sst = ok(hostB.api().get("/v1/vms/s1/replication"));
    assertThat(sst.get("discarded").asLong()).isZero();
    assertThat(hostA.api().get("/actuator/prometheus").body()).contains("colo_checkpoints_total{");
  }

  @Test
  void aPromotedSecondaryCarriesOnAloneAndFencesTheOldPrimary() {
    ok(
        hostA
            .api()
            .post("/v1/vms", "{\"id\":\"p2\",\"guest\":\"kv\",\"diskBytes\":0,\"start\":true}"));
    ok(hostB.api().post("/v1/vms", "{\"id\":\"s2\",\"guest\":\"kv\",\"diskBytes\":0}"));
    pair(hostA, "p2", hostB, "s2", 4);
    try (ReplicaIo p = new ReplicaIo(hostA.url(), "p2", 4);
        ReplicaIo s = new ReplicaIo(hostB.url(), "s2", 4)) {
      p.open(1);
      s.open(1);
      both(p, s, 1, "SET answer 42\r\n");
      ok(hostA.api().post("/v1/vms/p2/checkpoint", "{\"epoch\":4}"));

      JsonNode promoted = ok(hostB.api().post("/v1/vms/s2/promote", "{\"epoch\":5}"));
      assertThat(promoted.get("role").asString()).isEqualTo("SOLO");
      assertThat(promoted.get("epoch").asLong()).isEqualTo(5);
      // idempotent
      ok(hostB.api().post("/v1/vms/s2/promote", "{\"epoch\":5}"));

      // the old primary's next checkpoint is refused by the new epoch
      Http.Reply refused = hostA.api().post("/v1/vms/p2/checkpoint", "{\"epoch\":4}");
      assertThat(refused.status()).as(refused.body()).isIn(409, 503);

      // a command from the old epoch is fenced with the current one
      Http.Reply stale = hostB.api().post("/v1/vms/s2/secondary", "{\"epoch\":4}");
      assertThat(stale.status()).isEqualTo(409);
      assertThat(stale.json().get("currentEpoch").asLong()).isEqualTo(5);
    }
    try (ReplicaIo alone = new ReplicaIo(hostB.url(), "s2", 5)) {
      alone.open(9);
      alone.send(9, "GET answer\r\n");
      await().atMost(WAIT).until(() -> alone.text(9).equals("$2\r\n42\r\n"));
    }
  }
}
