package dev.coloha.proxy.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.proxy.GroupLimits;
import dev.coloha.proxy.testing.GroupRig;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A group's commands and its periodic checks share one turn (the group's mailbox): a check that
 * comes due while a command holds the turn runs after it, never beside it, and a command that
 * waited for the turn of a group deleted meanwhile finds no group. The real proxy's group against a
 * fake agent on loopback, no Spring.
 */
class GroupTurnTest {
  private static final long EPOCH = 3;

  private final GroupRig rig = new GroupRig();

  /** Each task on its own thread (the common pool may have one: a task waiting blocks the next). */
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

  /** Lets a held turn go (also when an assertion failed: the deletion waits for the turn). */
  private final CountDownLatch release = new CountDownLatch(1);

  GroupTurnTest() throws Exception {}

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    rig.close();
    threads.close();
  }

  private Group protectedGroup(Map<String, String> settings) {
    Groups groups = rig.groups(settings);
    groups.put(
        new GroupSpec(
            "kv",
            EPOCH,
            "127.0.0.1",
            0,
            GroupSpec.Mode.COLO,
            rig.replica("p"),
            rig.replica("s"),
            Duration.ofMinutes(10),
            new GroupLimits(1 << 20, 1 << 24, 1 << 20, 1 << 24, 100),
            new Commit(EPOCH, 4, Map.of(), Map.of(), Set.of()),
            null));
    return groups.group("kv");
  }

  /** Holds the group's turn from another thread until {@code release} counts down. */
  private CompletableFuture<Void> holdTurn(Group g) throws InterruptedException {
    CountDownLatch holding = new CountDownLatch(1);
    CompletableFuture<Void> held =
        CompletableFuture.runAsync(
            () ->
                g.onTurn(
                    () -> {
                      holding.countDown();
                      release.await();
                      return null;
                    }),
            threads);
    holding.await();
    return held;
  }

  @Test
  void aClientTimeoutDueWhileACommandHoldsTheTurnRunsOnlyAfterIt() throws Exception {
    Group g =
        protectedGroup(
            Map.of(
                "colo.proxy.client.first-reply-timeout", "100ms",
                "colo.proxy.self-checkpoint.enabled", "false"));
    CompletableFuture<Void> held = holdTurn(g);

    Socket client = rig.client(g.port());
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> rig.agent.opened("p").contains(1) && rig.agent.opened("s").contains(1));
    // the first reply is overdue many times over (checks were every 100 ms before the turn); the
    // check that would end the connection waits for the turn
    long overdue = System.nanoTime() + Duration.ofSeconds(1).toNanos();
    InputStream in = client.getInputStream();
    client.setSoTimeout(100);
    while (System.nanoTime() - overdue < 0) {
      assertThatThrownBy(in::read)
          .as("the connection is still open while the command holds the turn")
          .isInstanceOf(SocketTimeoutException.class);
    }
    assertThat(g.view().counters().connections()).isEqualTo(1);

    release.countDown();
    held.get();
    await().atMost(Duration.ofSeconds(30)).until(() -> g.view().counters().connections() == 0);
    client.setSoTimeout(30_000);
    assertThat(in.read()).as("ended by the proxy once the turn was free").isEqualTo(-1);
  }

  @Test
  void aCommandThatWaitedForTheTurnOfAGroupDeletedMeanwhileFindsNoGroup() throws Exception {
    Group g = protectedGroup(Map.of("colo.proxy.self-checkpoint.enabled", "false"));
    Commit next = new Commit(EPOCH, 5, Map.of(), Map.of(), Set.of());
    CompletableFuture<Void> held = holdTurn(g);
    CompletableFuture<Group.CommitOutcome> waiting =
        CompletableFuture.supplyAsync(() -> g.commit(next), threads);
    CompletableFuture<Void> deleted = CompletableFuture.runAsync(g::close, threads);
    await().atMost(Duration.ofSeconds(30)).until(g::deleted);

    assertThatThrownBy(() -> g.commit(next)).isInstanceOf(GroupNotFoundException.class);
    release.countDown();
    held.get();
    deleted.get();
    assertThatThrownBy(waiting::get).hasCauseInstanceOf(GroupNotFoundException.class);
    assertThat(g.comparator().stats().committed()).as("no commit applied").isEqualTo(4);
  }
}
