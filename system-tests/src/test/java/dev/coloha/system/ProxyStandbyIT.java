package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Resp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The fault matrix's proxy row with the lab's warm standby (docs/proxy.md "Warm standby"): {@code
 * kill -9} of the ACTIVE proxy under a writing client. The standby takes the pair's lock the
 * instant the kernel releases it, registers, and the coordinator moves the groups to it in the same
 * epoch (no heartbeat timeout waited for); the client reconnects and finds every acknowledged
 * write. The killed proxy started again is the STANDBY. The client's longest gap is printed, not
 * asserted (timing is the chaos benchmark's: docs/benchmarks.md).
 */
class ProxyStandbyIT {

  @Test
  void theStandbyTakesOverTheGroupsWhenTheActiveProxyIsKilledAndNothingAcknowledgedIsLost()
      throws Exception {
    Lab lab = Lab.shared();
    long epoch = lab.awaitProtected("kv", Duration.ofMinutes(3)).get("epoch").asLong();
    long webEpoch = lab.awaitProtected("web", Duration.ofMinutes(3)).get("epoch").asLong();
    String active = lab.activeProxy();
    String standby = Lab.otherProxy(active);
    assertThat(lab.isUp(standby)).as("the lab runs a standby").isTrue();
    String standbyUrl = url(lab, standby);
    assertThat(Lab.JSON.readTree(lab.get(standbyUrl + "/v1/proxy")).get("role").asString())
        .isEqualTo("STANDBY");

    // one client writes on one connection, reconnecting when it breaks
    Map<String, String> acked = new ConcurrentHashMap<>();
    List<Long> ackTimes = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger reconnects = new AtomicInteger();
    AtomicLong wrong = new AtomicLong();
    Thread client =
        Thread.ofPlatform()
            .name("standby-client")
            .start(
                () -> {
                  Resp c = null;
                  int i = 0;
                  while (!stop.get()) {
                    try {
                      if (c == null) {
                        c = new Resp("127.0.0.1", lab.kvPort, 30_000);
                        reconnects.incrementAndGet();
                      }
                      String key = "standby-" + (++i);
                      Object r = c.call("SET", key, Integer.toString(i));
                      if ("OK".equals(r)) {
                        acked.put(key, Integer.toString(i));
                        ackTimes.add(System.nanoTime());
                      } else {
                        wrong.incrementAndGet();
                      }
                    } catch (Exception e) {
                      try {
                        if (c != null) {
                          c.close();
                        }
                      } catch (Exception ignored) {
                        // closing a broken connection
                      }
                      c = null;
                      try {
                        // paces the reconnects of the load: no state to wait for, the next
                        // attempt tells whether the proxy answers
                        Thread.sleep(10);
                      } catch (InterruptedException ie) {
                        return;
                      }
                    }
                  }
                });
    await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= 50);

    long killedAt = System.nanoTime();
    lab.kill(active);

    // the standby is the active proxy now, and serves the groups in their epochs
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(() -> lab.activeProxy().equals(standby));
    JsonNode kv = lab.awaitProtected("kv", Duration.ofSeconds(60));
    assertThat(kv.get("epoch").asLong()).as("no epoch burned").isEqualTo(epoch);
    assertThat(lab.awaitProtected("web", Duration.ofSeconds(60)).get("epoch").asLong())
        .isEqualTo(webEpoch);
    assertThat(lab.proxyUrl()).isEqualTo(standbyUrl);
    JsonNode served = Lab.JSON.readTree(lab.get(standbyUrl + "/v1/groups/kv"));
    assertThat(served.get("epoch").asLong()).isEqualTo(epoch);
    int atTakeover = acked.size();
    await().atMost(Duration.ofSeconds(60)).until(() -> acked.size() >= atTakeover + 50);
    stop.set(true);
    client.join(40_000);

    // every acknowledged write is there, read through the new active proxy
    try (Resp c = new Resp("127.0.0.1", lab.kvPort, 60_000)) {
      for (Map.Entry<String, String> e : acked.entrySet()) {
        assertThat(c.call("GET", e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
      }
      // re-protected: checkpoints go on (a TIME mismatch is released)
      lab.post(lab.coordinatorUrl() + "/v1/groups/kv/checkpoint", "{}");
      assertThat(c.call("TIME")).isInstanceOf(List.class);
    }
    assertThat(wrong.get()).as("error replies").isZero();
    boolean moved = false;
    for (JsonNode e : Lab.JSON.readTree(lab.get(lab.coordinatorUrl() + "/v1/groups/kv/history"))) {
      moved |= e.path("kind").asString("").equals("proxy-moved");
    }
    assertThat(moved).as("the history shows the move to the standby").isTrue();

    // the killed proxy started again is the standby
    lab.start(active);
    assertThat(lab.activeProxy()).isEqualTo(standby);
    assertThat(Lab.JSON.readTree(lab.get(url(lab, active) + "/v1/proxy")).get("role").asString())
        .isEqualTo("STANDBY");

    long gap = 0;
    long previous = killedAt;
    synchronized (ackTimes) {
      for (long t : ackTimes) {
        if (t >= killedAt) {
          gap = Math.max(gap, t - previous);
          previous = t;
        }
      }
    }
    System.out.printf(
        "proxy standby takeover: longest client gap %d ms across the kill of %s (%d writes"
            + " acknowledged, %d reconnects), epoch %d unchanged%n",
        gap / 1_000_000, active, acked.size(), reconnects.get() - 1, epoch);
  }

  private static String url(Lab lab, String proxy) throws Exception {
    return lab.labJson()
        .get(proxy.equals("proxy") ? "proxy" : "proxyStandby")
        .get("url")
        .asString();
  }
}
