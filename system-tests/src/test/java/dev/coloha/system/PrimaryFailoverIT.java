package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.testkit.Resp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Must show 2: {@code ./colo lab kill} (SIGKILL) of the primary's agent while a client writes and
 * records every acknowledged write. After the failover every acknowledged write is readable, the
 * client's connection keeps working, and the group is PROTECTED again on another host.
 */
class PrimaryFailoverIT {

  @Test
  void killingThePrimaryAgentLosesNoAcknowledgedWriteAndKeepsTheConnection() throws Exception {
    Lab lab = Lab.shared();
    JsonNode g = lab.awaitProtected("kv", Duration.ofMinutes(3));
    String oldPrimary = g.get("primary").get("host").asString();
    String oldSecondary = g.get("secondary").get("host").asString();
    long epoch = g.get("epoch").asLong();

    List<String> acked = new ArrayList<>();
    AtomicBoolean killed = new AtomicBoolean();
    try (Resp client = new Resp("127.0.0.1", lab.kvPort, 60_000)) {
      // a stream of writes on ONE connection; every OK is recorded
      int i = 0;
      for (; i < 200; i++) {
        String key = "acked-" + i;
        assertThat(client.call("SET", key, "v" + i)).isEqualTo("OK");
        acked.add(key);
      }
      lab.kill(oldPrimary + "/agent");
      killed.set(true);
      long t0 = System.nanoTime();
      // the same connection carries on: its next writes are answered by the new primary
      for (; i < 400; i++) {
        String key = "acked-" + i;
        assertThat(client.call("SET", key, "v" + i))
            .as("write %s after the kill", key)
            .isEqualTo("OK");
        acked.add(key);
      }
      long afterMillis = (System.nanoTime() - t0) / 1_000_000;
      System.out.println("200 writes after kill -9 of the primary took " + afterMillis + " ms");
      for (String key : acked) {
        assertThat(client.call("GET", key))
            .as("acknowledged write %s", key)
            .isEqualTo("v" + key.substring("acked-".length()));
      }
    }
    assertThat(killed).isTrue();

    // a new client sees the same data
    try (Resp fresh = new Resp("127.0.0.1", lab.kvPort, 10_000)) {
      assertThat(fresh.call("GET", "acked-0")).isEqualTo("v0");
      assertThat(fresh.call("GET", "acked-399")).isEqualTo("v399");
    }

    // protected again: the old secondary is the primary, the new secondary is another live host
    JsonNode after = lab.awaitProtected("kv", Duration.ofMinutes(2));
    assertThat(after.get("primary").get("host").asString()).isEqualTo(oldSecondary);
    assertThat(after.get("secondary").get("host").asString()).isNotEqualTo(oldPrimary);
    assertThat(after.get("epoch").asLong()).isGreaterThan(epoch);

    lab.start(oldPrimary + "/agent");
    assertThat(lab.isUp(oldPrimary + "/agent")).isTrue();
  }
}
