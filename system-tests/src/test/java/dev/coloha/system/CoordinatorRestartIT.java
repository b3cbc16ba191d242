package dev.coloha.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.testkit.Resp;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Must show 4: the coordinator is killed ({@code kill -9}) and started again during load. No output
 * is lost or released wrongly (every INCR answer is the previous one plus one, on one connection,
 * through the whole run), and the groups carry on: the restarted coordinator reconciles,
 * checkpoints continue, and output that needs a checkpoint (a mismatch) is released again.
 */
class CoordinatorRestartIT {

  @Test
  void aCoordinatorRestartDuringLoadLosesNothingAndTheGroupsCarryOn() throws Exception {
    Lab lab = Lab.shared();
    JsonNode g = lab.awaitProtected("kv", Duration.ofMinutes(3));
    long epoch = g.get("epoch").asLong();

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong answers = new AtomicLong();
    CompletableFuture<Long> load =
        CompletableFuture.supplyAsync(
            () -> {
              try (Resp c = new Resp("127.0.0.1", lab.kvPort, 180_000)) {
                c.call("DEL", "restart-counter");
                long expected = 1;
                while (!stop.get()) {
                  Object r = c.call("INCR", "restart-counter");
                  if (!(r instanceof Long n) || n != expected) {
                    throw new AssertionError("INCR answered " + r + ", expected " + expected);
                  }
                  assertThat(c.call("SET", "restart-" + expected, Long.toString(expected)))
                      .isEqualTo("OK");
                  expected++;
                  answers.incrementAndGet();
                }
                return expected - 1;
              } catch (Exception e) {
                throw new AssertionError("the client failed: " + e, e);
              }
            },
            // its own thread: on the common pool (one thread on 2 cores) this endless task would
            // starve every other async task of the test, such as Command's output readers
            Thread.ofPlatform().name("restart-load").daemon()::start);

    awaitAnswers(load, answers, 50, Duration.ofSeconds(120));
    lab.kill("coordinator");
    long atKill = answers.get();
    // while no coordinator runs, matching output is still released; output that needs a
    // checkpoint (a mismatch, or a secondary more than compare-timeout behind on a loaded
    // machine) waits for it: the client may stall, but never sees a wrong answer. A window waited
    // out on purpose (3 s of load without a coordinator), not a state: a sleep, not an await
    Thread.sleep(3000);
    lab.start("coordinator");

    // the restarted coordinator knows the group from its database, and checkpoints go on
    JsonNode back = lab.awaitProtected("kv", Duration.ofMinutes(1));
    assertThat(back.get("epoch").asLong()).isGreaterThanOrEqualTo(epoch);
    long cp = lab.coordinatorGroup("kv").get("lastCheckpoint").asLong();
    lab.post(lab.coordinatorUrl() + "/v1/groups/kv/checkpoint", "{}");
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> lab.coordinatorGroup("kv").get("lastCheckpoint").asLong() > cp);

    long atRestart = answers.get();
    awaitAnswers(load, answers, Math.max(atRestart, atKill) + 50, Duration.ofSeconds(120));
    stop.set(true);
    long last = load.get(60, TimeUnit.SECONDS);

    // every answered write is there, and output that needs a checkpoint to be released (TIME
    // differs between the replicas) is released again: the proxy's events reach the new
    // coordinator
    try (Resp c = new Resp("127.0.0.1", lab.kvPort, 60_000)) {
      assertThat(c.call("GET", "restart-counter")).isEqualTo(Long.toString(last));
      for (long i = 1; i <= last; i += Math.max(1, last / 50)) {
        assertThat(c.call("GET", "restart-" + i)).isEqualTo(Long.toString(i));
      }
      long t0 = System.nanoTime();
      assertThat(c.call("TIME")).isInstanceOf(List.class);
      System.out.println(
          "TIME (a mismatch) released after "
              + (System.nanoTime() - t0) / 1_000_000
              + " ms by the restarted coordinator; "
              + last
              + " INCRs answered in order across the restart");
    }
    assertThat(lab.group("kv").get("state").asString()).isEqualTo("PROTECTED");
  }

  /** Waits for the client's progress; fails at once, with its error, if the client failed. */
  private static void awaitAnswers(
      CompletableFuture<Long> load, AtomicLong answers, long atLeast, Duration within) {
    await()
        .atMost(within)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              if (load.isCompletedExceptionally()) {
                load.join(); // throws the client's error
              }
              return answers.get() > atLeast;
            });
  }
}
