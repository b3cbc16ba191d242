package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Resp;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The fault matrix's proxy row without a standby (docker-compose, helm: one proxy): {@code kill -9}
 * of the proxy, its warm standby killed first so that none takes over, and a restart with the same
 * command line (the warm standby's takeover is {@link ProxyStandbyIT}'s). The restarted proxy
 * registers without groups; the coordinator gives them back in the same epoch (no epoch is burned:
 * nothing needs fencing), never calls the group PROTECTED while the proxy does not serve it, and
 * clients that reconnect find every acknowledged write.
 */
class ProxyRestartIT {

  @Test
  void aRestartedProxyGetsItsGroupsBackAndClientsFindTheirData() throws Exception {
    Lab lab = Lab.shared();
    JsonNode g = lab.awaitProtected("kv", Duration.ofMinutes(3));
    long epoch = g.get("epoch").asLong();
    long webEpoch = lab.awaitProtected("web", Duration.ofMinutes(3)).get("epoch").asLong();

    long counter;
    String standby;
    try (Resp c = new Resp("127.0.0.1", lab.kvPort, 60_000)) {
      for (int i = 0; i < 50; i++) {
        assertThat(c.call("SET", "proxy-restart-" + i, Integer.toString(i))).isEqualTo("OK");
      }
      counter = (Long) c.call("INCR", "proxy-restart-counter");
      // a client the proxy loses: its connection must be ended on both replicas
      Resp lost = new Resp("127.0.0.1", lab.kvPort, 60_000);
      assertThat(lost.call("PING")).isEqualTo("PONG");

      String active = lab.activeProxy();
      standby = Lab.otherProxy(active);
      lab.kill(standby); // no warm standby: the single proxy's restart path
      lab.kill(active);
      // the coordinator notices (the event stream broke, or a commit found no proxy): not
      // PROTECTED while no proxy serves the group
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(() -> lab.coordinatorGroup("kv").get("state").asString().equals("UNSERVED"));
      lab.start(active);
      lost.close();
    }
    long registered = System.nanoTime();

    JsonNode back = lab.awaitProtected("kv", Duration.ofSeconds(60));
    long restoredMillis = (System.nanoTime() - registered) / 1_000_000;
    assertThat(back.get("epoch").asLong()).as("no epoch burned").isEqualTo(epoch);
    assertThat(lab.awaitProtected("web", Duration.ofSeconds(60)).get("epoch").asLong())
        .isEqualTo(webEpoch);

    try (Resp c = new Resp("127.0.0.1", lab.kvPort, 60_000)) {
      for (int i = 0; i < 50; i++) {
        assertThat(c.call("GET", "proxy-restart-" + i)).isEqualTo(Integer.toString(i));
      }
      assertThat(c.call("INCR", "proxy-restart-counter")).isEqualTo(counter + 1);
      // checkpoints go on: a mismatch (TIME differs between the replicas) is released
      lab.post(lab.coordinatorUrl() + "/v1/groups/kv/checkpoint", "{}");
      assertThat(c.call("TIME")).isInstanceOf(java.util.List.class);
    }
    JsonNode proxyGroup = Lab.JSON.readTree(lab.get(lab.proxyUrl() + "/v1/groups/kv"));
    assertThat(proxyGroup.get("epoch").asLong()).isEqualTo(epoch);
    boolean sawUnserved = false;
    for (JsonNode e : Lab.JSON.readTree(lab.get(lab.coordinatorUrl() + "/v1/groups/kv/history"))) {
      sawUnserved |= e.get("state").asString().equals("UNSERVED");
    }
    assertThat(sawUnserved).as("the history shows the group UNSERVED").isTrue();
    assertThat(lab.group("kv").get("state").asString()).isEqualTo("PROTECTED");
    lab.start(standby); // the pair again, for the tests after this one
    System.out.println(
        "proxy restart: kv PROTECTED again "
            + restoredMillis
            + " ms after the restarted proxy answered, epoch "
            + epoch
            + " unchanged");
  }
}
