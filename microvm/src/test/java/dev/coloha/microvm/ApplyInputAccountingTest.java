package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.microvm.testing.StepClock;
import dev.coloha.microvm.testing.TestGuests;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * A secondary's input accounting follows its checkpoints: a connection the primary had finished is
 * removed by the apply without its guest ever closing it, and the output sink must hear that it
 * ended. Otherwise its unread input counts as outstanding forever in the agent's input flow
 * control, and enough of it (many connections, many checkpoints) stops the VM's input stream for
 * good: after a failover that VM is the primary, and a new client's requests never reach it (the
 * wedge of issue 15, point 2).
 */
class ApplyInputAccountingTest {
  private final GuestModule kv = TestGuests.get("kv");
  private final VmConfig config = VmConfig.defaults().withMemoryLimit(64L << 20);

  /** Records what a sink hears of input consumption and ends. */
  private static final class AccountingSink implements OutputSink {
    final Set<Integer> ended = ConcurrentHashMap.newKeySet();
    final Map<Integer, Long> consumed = new ConcurrentHashMap<>();

    @Override
    public void output(int conn, long interval, long offset, byte[] bytes) {}

    @Override
    public void closed(int conn, long interval, long endOffset) {}

    @Override
    public void consumed(int conn, long offset) {
      consumed.merge(conn, offset, Math::max);
    }

    @Override
    public void ended(int conn) {
      ended.add(conn);
    }
  }

  @Test
  void aConnectionTheApplyRemovesHasEndedForTheSink() {
    StepClock clock = new StepClock();
    MicroVm a =
        MicroVm.create(
            "a", kv, config, new VmEnvironment(BlockDevice.NONE, clock, clock, OutputSink.DISCARD));
    a.start();
    Captured full = a.capture(1, 0, true);
    AccountingSink sink = new AccountingSink();
    StepClock bClock = new StepClock();
    MicroVm b =
        MicroVm.restore(
            "b",
            kv,
            config,
            new VmEnvironment(BlockDevice.NONE, bClock, bClock, sink),
            full.checkpoint());
    b.journaling(true);
    b.start();
    try {
      byte[] ping = "*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII);
      // the secondary holds connection 7's input (its guest is behind); the primary reads it all
      // and the client closes
      b.submit(new InputEvent.Open(7));
      await().atMost(Duration.ofSeconds(20)).until(b::idle);
      b.holdInput(7, true);
      a.submit(new InputEvent.Open(7));
      for (MicroVm vm : new MicroVm[] {a, b}) {
        vm.submit(new InputEvent.Data(7, 0, ping));
        vm.submit(new InputEvent.Close(7, ping.length));
      }
      await().atMost(Duration.ofSeconds(20)).until(a::idle);
      await().atMost(Duration.ofSeconds(20)).until(b::idle);
      assertThat(sink.ended).doesNotContain(7);

      // the primary finished connection 7; its checkpoint removes it on the secondary
      b.apply(a.capture(1, 1, false).checkpoint());

      assertThat(sink.ended).as("the sink heard that connection 7 ended").contains(7);
    } finally {
      a.stop();
      b.stop();
    }
  }
}
