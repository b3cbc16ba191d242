package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Resp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * Write-behind disks (issue 18) under a SET load of several clients on the disk-backed group {@code
 * kv}: {@code kill -9} of the primary's agent (its VM's writes still queued for the mirror) and of
 * the primary's disk mirror. Every acknowledged write survives the failover, and no client ever
 * gets an error reply while the secondary is healthy.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DiskFailoverUnderLoadIT {
  private static final int CLIENTS = 4;

  /** SETs on {@code CLIENTS} connections until stopped; every OK is recorded. */
  private static final class Load implements AutoCloseable {
    final ConcurrentLinkedQueue<String> acked = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    final AtomicInteger sent = new AtomicInteger();
    final AtomicBoolean stop = new AtomicBoolean();
    final List<Thread> threads = new ArrayList<>();
    final CountDownLatch warm = new CountDownLatch(CLIENTS);

    Load(Lab lab, String prefix) {
      for (int c = 0; c < CLIENTS; c++) {
        int client = c;
        threads.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      try (Resp r = new Resp("127.0.0.1", lab.kvPort, 60_000)) {
                        for (int i = 0; !stop.get(); i++) {
                          String key = prefix + "-" + client + "-" + i;
                          sent.incrementAndGet();
                          Object reply = r.call("SET", key, "v" + i);
                          if ("OK".equals(reply)) {
                            acked.add(key);
                          } else {
                            errors.add(key + ": " + reply);
                            return;
                          }
                          if (i == 100) {
                            warm.countDown();
                          }
                        }
                      } catch (Exception e) {
                        errors.add("client " + client + ": " + e);
                      } finally {
                        warm.countDown();
                      }
                    }));
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      for (Thread t : threads) {
        t.join(Duration.ofMinutes(2));
      }
    }
  }

  private static void checkEveryAcknowledgedWrite(Lab lab, Load load) throws Exception {
    assertThat(load.errors).as("error replies or broken connections").isEmpty();
    assertThat(load.acked).hasSizeGreaterThan(CLIENTS * 100);
    try (Resp r = new Resp("127.0.0.1", lab.kvPort, 60_000)) {
      for (String key : load.acked) {
        assertThat(r.call("GET", key))
            .as("acknowledged write %s", key)
            .isEqualTo("v" + key.substring(key.lastIndexOf('-') + 1));
      }
    }
  }

  @Test
  @Order(1)
  void killingThePrimaryAgentWithWritesQueuedLosesNoAcknowledgedWrite() throws Exception {
    killThePrimarysUnderLoad("agent");
  }

  @Test
  @Order(2)
  void killingThePrimaryMirrorLosesNoAcknowledgedWriteAndReleasesNoError() throws Exception {
    Killed k = killThePrimarysUnderLoad("mirror");
    assertThat(k.after().get("primary").get("host").asString()).isNotEqualTo(k.oldPrimary());
  }

  private record Killed(String oldPrimary, JsonNode after) {}

  /**
   * {@code kill -9} of the primary host's {@code role} (agent or mirror) while the load writes:
   * every acknowledged write is read back, and the group is PROTECTED again in a newer epoch.
   */
  private static Killed killThePrimarysUnderLoad(String role) throws Exception {
    Lab lab = Lab.shared();
    JsonNode g = lab.awaitProtected("kv", Duration.ofMinutes(3));
    String oldPrimary = g.get("primary").get("host").asString();
    long epoch = g.get("epoch").asLong();
    String killed = oldPrimary + "/" + role;
    Load load = new Load(lab, role);
    try (load) {
      load.warm.await();
      lab.kill(killed);
      int before = load.acked.size();
      await()
          .atMost(Duration.ofMinutes(2))
          .until(() -> load.acked.size() > before + CLIENTS * 200 || !load.errors.isEmpty());
    }
    checkEveryAcknowledgedWrite(lab, load);
    JsonNode after = lab.awaitProtected("kv", Duration.ofMinutes(3));
    assertThat(after.get("epoch").asLong()).isGreaterThan(epoch);
    lab.start(killed);
    return new Killed(oldPrimary, after);
  }
}
