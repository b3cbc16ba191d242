package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.StepClock;
import dev.coloha.microvm.testing.TestGuests;
import dev.coloha.microvm.testing.VmImage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Property, for an ordinary WASI program (the counter guest, blocked in poll or in accept/recv):
 * capture on A while it is unwound and apply on B, over many checkpoints and random traffic
 * (clients opening, sending lines in random pieces, closing; B with a clock of its own in between),
 * leaves B's memory, globals and descriptor state equal to A's; given the same following input,
 * with one clock and random source, B then answers exactly as A does. A VM that was never synced
 * answers differently (negative control). Seeds are fixed.
 */
class WasiCheckpointPropertyTest {
  private static final int SEEDS = 6;
  private static final int ROUNDS = 8;
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final GuestModule counter = TestGuests.get("counter");
  private final VmConfig config = VmConfig.defaults().withMemoryLimit(16L << 20);

  private record Node(MicroVm vm, StepClock clock, RecordingSink sink) {}

  private Node boot(String id, List<String> args, RecordingSink sink) {
    StepClock clock = new StepClock();
    MicroVm vm = MicroVm.create(id, counter, config, environment(clock, sink, args));
    vm.start();
    return new Node(vm, clock, sink);
  }

  private static VmEnvironment environment(StepClock clock, RecordingSink sink, List<String> args) {
    return new VmEnvironment(BlockDevice.NONE, clock, clock, sink)
        .withLaunch(new WasiLaunch(args, Map.of()));
  }

  @Test
  void aSecondaryBlockedInPollMatchesItsPrimaryAfterEveryCheckpoint() {
    boolean diverged = false;
    for (long seed = 1; seed <= SEEDS; seed++) {
      diverged |= runSeed(seed, List.of());
    }
    assertThat(diverged).as("a never-synced VM must diverge from the primary").isTrue();
  }

  @Test
  void aSecondaryBlockedInAcceptOrRecvMatchesItsPrimaryAfterEveryCheckpoint() {
    boolean diverged = false;
    for (long seed = 101; seed <= 100 + SEEDS / 2; seed++) {
      diverged |= runSeed(seed, List.of("serial"));
    }
    assertThat(diverged).as("a never-synced VM must diverge from the primary").isTrue();
  }

  private boolean runSeed(long seed, List<String> args) {
    Random rnd = new Random(seed);
    boolean serial = !args.isEmpty();
    Node a = boot("a" + seed, args, new RecordingSink());
    Node c = boot("c" + seed, args, new RecordingSink());
    Node b = null;
    Traffic traffic = new Traffic(rnd, serial);
    boolean diverged = false;
    try {
      traffic.burst(rnd.nextInt(30) + 5).forEach(e -> a.vm().submit(e));
      awaitIdle(a);
      Captured full = a.vm().capture(1, 0, true);
      byte[] atPause = VmImage.memory(a.vm());
      StepClock bClock = new StepClock();
      RecordingSink bSink = new RecordingSink(false);
      b =
          new Node(
              MicroVm.restore(
                  "b" + seed, counter, config, environment(bClock, bSink, args), full.checkpoint()),
              bClock,
              bSink);
      b.vm().journaling(true);
      b.vm().start();
      VmImage.assertSame(seed, 0, a.vm(), b.vm(), atPause);

      for (int round = 1; round <= ROUNDS; round++) {
        List<InputEvent> burst = traffic.burst(rnd.nextInt(40) + 3);
        a.clock().advanceMillis(rnd.nextInt(300));
        b.clock().advanceMillis(rnd.nextInt(300) + 1);
        for (InputEvent e : burst) {
          a.vm().submit(e);
          b.vm().submit(e);
        }
        awaitIdle(a);
        awaitIdle(b);

        Captured delta = a.vm().capture(1, round, rnd.nextInt(4) == 0);
        atPause = VmImage.memory(a.vm());
        // the deadline of a blocked poll travels as time left: give B A's time before it applies
        sync(b.clock(), a.clock());
        b.vm().apply(delta.checkpoint());
        VmImage.assertSame(seed, round, a.vm(), b.vm(), atPause);

        int probe = traffic.probeConnection();
        sync(c.clock(), a.clock());
        List<InputEvent> probes = traffic.probe(probe);
        for (Node n : List.of(a, b, c)) {
          probes.forEach(e -> n.vm().submit(e));
        }
        for (Node n : List.of(a, b, c)) {
          awaitIdle(n);
        }
        assertThat(b.sink().text(probe))
            .as("seed %d round %d: B answers as A after the apply", seed, round)
            .isEqualTo(a.sink().text(probe));
        assertThat(a.sink().text(probe)).contains(" rand ").contains(" time ");
        if (!c.sink().text(probe).equals(a.sink().text(probe))) {
          diverged = true;
        }
      }
      assertThat(a.sink().error()).isNull();
      assertThat(a.vm().state()).isEqualTo(VmState.RUNNING);
      assertThat(b.vm().state()).isEqualTo(VmState.RUNNING);
      return diverged;
    } finally {
      a.vm().stop();
      c.vm().stop();
      if (b != null) {
        b.vm().stop();
      }
    }
  }

  private static void sync(StepClock to, StepClock from) {
    to.advanceMillis((from.realtimeNanos() - to.realtimeNanos()) / 1_000_000);
  }

  private static void awaitIdle(Node n) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(2)).until(n.vm()::idle);
  }

  /** Random line traffic over a few clients, lines split at random points. */
  private static final class Traffic {
    private final Random rnd;
    private final boolean serial;
    private final List<Integer> open = new ArrayList<>();
    private final Map<Integer, Long> offsets = new HashMap<>();
    private final List<InputEvent> pendingCloses = new ArrayList<>();
    private int nextConn = 1;

    Traffic(Random rnd, boolean serial) {
      this.rnd = rnd;
      this.serial = serial;
    }

    int probeConnection() {
      if (serial) {
        // a serial server serves the probe only after every earlier client is gone
        for (int conn : List.copyOf(open)) {
          close(pendingCloses, conn);
        }
      }
      return nextConn++;
    }

    List<InputEvent> burst(int lines) {
      List<InputEvent> out = new ArrayList<>();
      for (int i = 0; i < lines; i++) {
        if (open.isEmpty() || (!serial && rnd.nextInt(8) == 0)) {
          int conn = nextConn++;
          open.add(conn);
          offsets.put(conn, 0L);
          out.add(new InputEvent.Open(conn));
        }
        int conn = open.get(rnd.nextInt(open.size()));
        if (rnd.nextInt(serial ? 6 : 15) == 0) {
          close(out, conn);
          continue;
        }
        data(out, conn, line());
      }
      return out;
    }

    private void close(List<InputEvent> out, int conn) {
      open.remove(Integer.valueOf(conn));
      out.add(new InputEvent.Close(conn, offsets.get(conn)));
    }

    List<InputEvent> probe(int conn) {
      List<InputEvent> out = new ArrayList<>();
      if (serial) {
        out.addAll(pendingCloses);
        pendingCloses.clear();
      }
      out.add(new InputEvent.Open(conn));
      offsets.put(conn, 0L);
      for (String l : List.of("probe", "ticks", "time", "rand", "rand", "last")) {
        data(out, conn, (l + "\n").getBytes(StandardCharsets.UTF_8));
      }
      out.add(new InputEvent.Close(conn, offsets.get(conn)));
      return out;
    }

    private void data(List<InputEvent> out, int conn, byte[] bytes) {
      int at = 0;
      while (at < bytes.length) {
        int n = Math.min(bytes.length - at, 1 + rnd.nextInt(bytes.length));
        out.add(
            new InputEvent.Data(conn, offsets.get(conn), Arrays.copyOfRange(bytes, at, at + n)));
        offsets.merge(conn, (long) n, Long::sum);
        at += n;
      }
    }

    private byte[] line() {
      String l =
          switch (rnd.nextInt(6)) {
            case 0 -> "rand";
            case 1 -> "time";
            case 2 -> "ticks";
            default -> "x".repeat(1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 3000 : 40));
          };
      return (l + "\n").getBytes(StandardCharsets.UTF_8);
    }
  }
}
