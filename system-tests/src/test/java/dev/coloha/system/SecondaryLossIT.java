package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Resp;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Must show 3: {@code kill -9} of the secondary: the group goes DEGRADED and re-protects. */
class SecondaryLossIT {

  @Test
  void killingTheSecondaryDegradesTheGroupWhichThenReprotects() throws Exception {
    Lab lab = Lab.shared();
    JsonNode g = lab.awaitProtected("kv", Duration.ofMinutes(3));
    String primary = g.get("primary").get("host").asString();
    String secondary = g.get("secondary").get("host").asString();
    long epoch = g.get("epoch").asLong();

    try (Resp client = new Resp("127.0.0.1", lab.kvPort, 60_000)) {
      assertThat(client.call("SET", "before-secondary-loss", "1")).isEqualTo("OK");
      lab.kill(secondary + "/agent");

      // DEGRADED: the primary carries on alone, in a new epoch that fences the lost secondary
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(
              () -> {
                for (JsonNode e :
                    Lab.JSON.readTree(lab.get(lab.coordinatorUrl() + "/v1/groups/kv/history"))) {
                  if (e.get("epoch").asLong() > epoch
                      && e.get("state").asString().equals("DEGRADED")
                      && e.get("kind").asString().equals("secondary-lost")) {
                    return true;
                  }
                }
                return false;
              });
      // the service never stopped, on the same connection
      assertThat(client.call("INCR", "during-secondary-loss")).isEqualTo(1L);

      JsonNode after = lab.awaitProtected("kv", Duration.ofMinutes(2));
      assertThat(after.get("primary").get("host").asString()).isEqualTo(primary);
      assertThat(after.get("secondary").get("host").asString()).isNotEqualTo(secondary);
      assertThat(client.call("GET", "before-secondary-loss")).isEqualTo("1");
      assertThat(client.call("INCR", "during-secondary-loss")).isEqualTo(2L);
      lab.start(secondary + "/agent");
    }
  }
}
