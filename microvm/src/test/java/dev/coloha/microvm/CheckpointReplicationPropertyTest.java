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
import dev.coloha.testkit.Resp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Property: capture on A and apply on B, over many checkpoints and random event sequences
 * (including memory growth and state B reaches on its own with a different clock), leaves B's
 * memory and globals equal to A's at the pause; given the same following events, with one clock and
 * random source for both, B's output equals A's. A VM that was never synced diverges (negative
 * control). Seeds are fixed, so a failure names its seed and replays exactly. Applies alternate
 * between a plain apply and one that leaves the memory cache's copy to {@code settle()} or to the
 * next apply.
 */
class CheckpointReplicationPropertyTest {
  private static final int SEEDS = 8;
  private static final int ROUNDS = 6;
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final GuestModule kv = TestGuests.get("kv");
  private final VmConfig config = VmConfig.defaults().withMemoryLimit(64L << 20);

  /** A VM under test with its own clock and output. */
  private record Node(MicroVm vm, StepClock clock, RecordingSink sink) {}

  private Node boot(String id, RecordingSink sink) {
    StepClock clock = new StepClock();
    MicroVm vm =
        MicroVm.create(id, kv, config, new VmEnvironment(BlockDevice.NONE, clock, clock, sink));
    vm.start();
    return new Node(vm, clock, sink);
  }

  @Test
  void aSecondaryMatchesItsPrimaryAfterEveryCheckpoint() {
    boolean controlDiverged = false;
    for (long seed = 1; seed <= SEEDS; seed++) {
      controlDiverged |= runSeed(seed);
    }
    assertThat(controlDiverged).as("a never-synced VM must diverge from the primary").isTrue();
  }

  private boolean runSeed(long seed) {
    Random rnd = new Random(seed);
    Node a = boot("a" + seed, new RecordingSink());
    Node c = boot("c" + seed, new RecordingSink());
    Node b = null;
    Events events = new Events(rnd);
    boolean diverged = false;
    try {
      // some history on A, then the initial full sync
      events.burst(rnd.nextInt(40) + 10).forEach(e -> a.vm().submit(e));
      awaitIdle(a);
      Captured full = a.vm().capture(1, 0, true);
      byte[] atPause = VmImage.memory(a.vm());
      RecordingSink bSink = new RecordingSink(false);
      StepClock bClock = new StepClock();
      MicroVm bvm =
          MicroVm.restore(
              "b" + seed,
              kv,
              config,
              new VmEnvironment(BlockDevice.NONE, bClock, bClock, bSink),
              full.checkpoint());
      b = new Node(bvm, bClock, bSink);
      b.vm().journaling(true);
      b.vm().start();
      VmImage.assertSame(seed, 0, a.vm(), b.vm(), atPause);

      for (int round = 1; round <= ROUNDS; round++) {
        // both receive the same input, but B's clock runs differently: it diverges on its own
        List<InputEvent> burst = events.burst(rnd.nextInt(60) + 5);
        a.clock().advanceMillis(rnd.nextInt(3000));
        b.clock().advanceMillis(rnd.nextInt(3000) + 1);
        for (InputEvent e : burst) {
          a.vm().submit(e);
          b.vm().submit(e);
        }
        awaitIdle(a);
        awaitIdle(b);

        Captured delta = a.vm().capture(1, round, false);
        atPause = VmImage.memory(a.vm());
        switch (round % 3) {
          case 0 -> b.vm().apply(delta.checkpoint());
          case 1 -> {
            // as a checkpoint stream applies: the cache gets the pages at settle()
            b.vm().applyThenSettle(delta.checkpoint(), false);
            b.vm().settle();
          }
          default ->
              // not settled: the next apply finishes the cache first
              b.vm().applyThenSettle(delta.checkpoint(), false);
        }
        VmImage.assertSame(seed, round, a.vm(), b.vm(), atPause);

        // the same following events at the same time: same output from here on
        int probe = events.freshConnection();
        long now = a.clock().realtimeNanos();
        b.clock().advanceMillis((now - b.clock().realtimeNanos()) / 1_000_000);
        c.clock().advanceMillis((now - c.clock().realtimeNanos()) / 1_000_000);
        List<InputEvent> probes = events.probe(probe);
        for (Node n : List.of(a, b, c)) {
          probes.forEach(e -> n.vm().submit(e));
        }
        for (Node n : List.of(a, b, c)) {
          awaitIdle(n);
        }
        assertThat(b.sink().text(probe))
            .as("seed %d round %d: B's output after the apply equals A's", seed, round)
            .isEqualTo(a.sink().text(probe));
        assertThat(a.sink().text(probe)).isNotEmpty();
        if (!c.sink().text(probe).equals(a.sink().text(probe))) {
          diverged = true;
        }
      }
      assertThat(Arrays.equals(VmImage.memory(c.vm()), VmImage.memory(a.vm())))
          .as("never-synced memory")
          .isFalse();
      assertThat(a.sink().error()).isNull();
      assertThat(a.vm().state()).isEqualTo(VmState.RUNNING);
      return diverged;
    } finally {
      a.vm().stop();
      c.vm().stop();
      if (b != null) {
        b.vm().stop();
      }
    }
  }

  private static void awaitIdle(Node n) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(2)).until(n.vm()::idle);
  }

  /** Random kv traffic over a few connections, split at random points. */
  private static final class Events {
    private final Random rnd;
    private final List<Integer> open = new ArrayList<>();
    private final Map<Integer, Long> offsets = new HashMap<>();
    private int nextConn = 1;

    Events(Random rnd) {
      this.rnd = rnd;
    }

    int freshConnection() {
      return nextConn++;
    }

    List<InputEvent> burst(int commands) {
      List<InputEvent> out = new ArrayList<>();
      for (int i = 0; i < commands; i++) {
        if (open.isEmpty() || rnd.nextInt(15) == 0) {
          int conn = nextConn++;
          open.add(conn);
          offsets.put(conn, 0L);
          out.add(new InputEvent.Open(conn));
        }
        int conn = open.get(rnd.nextInt(open.size()));
        if (open.size() > 1 && rnd.nextInt(25) == 0) {
          open.remove(Integer.valueOf(conn));
          out.add(new InputEvent.Close(conn, offsets.get(conn)));
          continue;
        }
        data(out, conn, command());
      }
      return out;
    }

    List<InputEvent> probe(int conn) {
      List<InputEvent> out = new ArrayList<>();
      out.add(new InputEvent.Open(conn));
      offsets.put(conn, 0L);
      for (int k = 0; k < 6; k++) {
        data(out, conn, Resp.command("GET", "key:" + k));
      }
      data(out, conn, Resp.command("DBSIZE"));
      data(out, conn, Resp.command("INCR", "counter"));
      data(out, conn, Resp.command("TTL", "key:1"));
      data(out, conn, Resp.command("TIME"));
      data(out, conn, Resp.command("RANDOMKEY"));
      out.add(new InputEvent.Close(conn, offsets.get(conn)));
      return out;
    }

    private void data(List<InputEvent> out, int conn, byte[] bytes) {
      int at = 0;
      while (at < bytes.length) {
        int n = Math.min(bytes.length - at, 1 + rnd.nextInt(Math.max(1, bytes.length)));
        out.add(
            new InputEvent.Data(conn, offsets.get(conn), Arrays.copyOfRange(bytes, at, at + n)));
        offsets.merge(conn, (long) n, Long::sum);
        at += n;
      }
    }

    private byte[] command() {
      String key = "key:" + rnd.nextInt(12);
      return switch (rnd.nextInt(10)) {
        case 0 -> Resp.command("SET", key, value(), "EX", Integer.toString(1 + rnd.nextInt(5)));
        case 1, 2 -> Resp.command("SET", key, value());
        case 3 -> Resp.command("INCR", "counter");
        case 4 -> Resp.command("DEL", key);
        case 5 -> Resp.command("EXPIRE", key, Integer.toString(1 + rnd.nextInt(3)));
        case 6 -> Resp.command("MSET", key, value(), "key:" + rnd.nextInt(12), value());
        case 7 -> Resp.command("GET", key);
        case 8 -> Resp.command("RANDOMKEY");
        default -> Resp.command("TIME");
      };
    }

    private String value() {
      // mostly small; sometimes large enough to grow linear memory
      int len = rnd.nextInt(20) == 0 ? 100_000 + rnd.nextInt(400_000) : 1 + rnd.nextInt(64);
      char[] v = new char[len];
      Arrays.fill(v, (char) ('a' + rnd.nextInt(26)));
      v[0] = (char) ('A' + rnd.nextInt(26));
      return new String(v);
    }
  }
}
