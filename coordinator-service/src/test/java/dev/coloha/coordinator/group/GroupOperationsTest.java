package dev.coloha.coordinator.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.coordinator.remote.RemoteException;
import dev.coloha.coordinator.remote.UnreachableException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The abandonable wait of a checkpoint call: a silent primary must not hold up its failover. */
class GroupOperationsTest {

  @Test
  void anAnswerIsReturnedAndAnErrorRethrownAsItIs() {
    assertThat(Checkpoints.abandonable(() -> 42, () -> false, "agent:x", "call")).isEqualTo(42);
    RemoteException stale =
        new RemoteException("agent:x", "call", 409, "stale-epoch", "old", Map.of());
    assertThatThrownBy(
            () ->
                Checkpoints.abandonable(
                    () -> {
                      throw stale;
                    },
                    () -> false,
                    "agent:x",
                    "call"))
        .isSameAs(stale);
  }

  @Test
  void theWaitEndsAsSoonAsThePrimaryIsDeclaredGone() {
    CountDownLatch never = new CountDownLatch(1);
    AtomicBoolean gone = new AtomicBoolean();
    // declared gone 300 ms into the wait
    CompletableFuture.runAsync(
        () -> gone.set(true), CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
    long t0 = System.nanoTime();
    assertThatThrownBy(
            () ->
                Checkpoints.abandonable(
                    () -> {
                      try {
                        never.await(); // a host cut off by the network: no answer
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return 0;
                    },
                    gone::get,
                    "agent:http://10.0.0.1:7701",
                    "POST /v1/vms/kv/checkpoint"))
        .isInstanceOf(UnreachableException.class)
        .hasMessageContaining("agent:http://10.0.0.1:7701")
        .hasMessageContaining("gave up waiting");
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
    never.countDown();
  }
}
