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
 * The fault matrix's disk rows: {@code kill -9} of a replica host's disk mirror. The primary's
 * mirror lost is a lost primary (failover to the secondary, whose disk works), not a lost
 * secondary; the secondary's mirror lost is a lost secondary. Either way a client writing all along
 * gets no error reply and every acknowledged write is there.
 */
class MirrorLossIT {

  @Test
  void losingThePrimarysMirrorFailsOverAndReleasesNoErrorReply() throws Exception {
    Lab lab = Lab.shared();
    JsonNode g = lab.awaitProtected("kv", Duration.ofMinutes(3));
    String primary = g.get("primary").get("host").asString();
    String secondary = g.get("secondary").get("host").asString();

    List<String> acked = new ArrayList<>();
    String restart;
    try (Resp c = new Resp("127.0.0.1", lab.kvPort, 60_000)) {
      write(c, "pm-before", 50, acked);
      restart = primary + "/mirror";
      lab.kill(restart);
      write(c, "pm-after", 200, acked);
      JsonNode after = awaitPrimaryOn(lab, secondary);
      assertThat(after.get("epoch").asLong()).isGreaterThan(g.get("epoch").asLong());
      write(c, "pm-failed-over", 50, acked);
      for (String key : acked) {
        assertThat(c.call("GET", key)).as("acknowledged %s", key).isEqualTo(key);
      }
    }
    lab.start(restart);
    lab.awaitProtected("kv", Duration.ofMinutes(2));
  }

  @Test
  void losingTheSecondarysMirrorLosesTheSecondaryOnly() throws Exception {
    Lab lab = Lab.shared();
    JsonNode g = lab.awaitProtected("kv", Duration.ofMinutes(3));
    String primary = g.get("primary").get("host").asString();
    String secondary = g.get("secondary").get("host").asString();
    long epoch = g.get("epoch").asLong();

    List<String> acked = new ArrayList<>();
    String restart;
    try (Resp c = new Resp("127.0.0.1", lab.kvPort, 60_000)) {
      write(c, "sm-before", 50, acked);
      restart = secondary + "/mirror";
      lab.kill(restart);
      write(c, "sm-after", 200, acked);
      JsonNode after =
          await()
              .atMost(Duration.ofMinutes(2))
              .pollInterval(Duration.ofMillis(200))
              .ignoreExceptions()
              .until(
                  () -> lab.group("kv"),
                  x ->
                      x.get("epoch").asLong() > epoch
                          && "PROTECTED".equals(x.get("state").asString())
                          && !secondary.equals(x.get("secondary").get("host").asString()));
      assertThat(after.get("primary").get("host").asString()).isEqualTo(primary);
      for (String key : acked) {
        assertThat(c.call("GET", key)).as("acknowledged %s", key).isEqualTo(key);
      }
    }
    lab.start(restart);
  }

  /** {@code n} SETs on one connection; every reply must be OK (an error reply fails the test). */
  private static void write(Resp c, String prefix, int n, List<String> acked) throws Exception {
    for (int i = 0; i < n; i++) {
      String key = prefix + "-" + i;
      assertThat(c.call("SET", key, key)).as("SET %s", key).isEqualTo("OK");
      acked.add(key);
    }
  }

  private static JsonNode awaitPrimaryOn(Lab lab, String host) {
    return await()
        .atMost(Duration.ofMinutes(2))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> lab.group("kv"), x -> host.equals(x.get("primary").get("host").asString()));
  }
}
