package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.device.FileBlockDevice;
import dev.coloha.microvm.device.FlushPolicy;
import dev.coloha.microvm.guest.GuestLoader;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.microvm.guest.WasmOptAsyncify;
import dev.coloha.microvm.testing.RecordingSink;
import dev.coloha.microvm.testing.StepClock;
import dev.coloha.microvm.testing.TestGuests;
import dev.coloha.testkit.Guests;
import dev.coloha.testkit.Resp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files under {@code /data} for WASI guests. {@code guests/testing/wasi-files.wasm} (a stock WASI
 * program) writes, appends, renames, lists and reads files and keeps one open with a position;
 * captured while blocked and applied on another VM whose disk is the first one's at the capture
 * (what the disk mirror's commit gives a secondary), it answers the following commands exactly as
 * the original, its open file and position included; a VM booted on the same disk without the
 * checkpoint does not. A VM booted again on the disk sees what was synced, and only that. kv-wasi
 * keeps its append-only log in {@code /data} and replays it at boot.
 */
class WasiFilesTest {
  private static final long DISK = 4L << 20;
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;

  private final VmConfig config = VmConfig.defaults().withMemoryLimit(16L << 20);
  private final List<MicroVm> vms = new ArrayList<>();
  private final List<BlockDevice> disks = new ArrayList<>();

  private record Node(MicroVm vm, RecordingSink sink, StepClock clock) {}

  private BlockDevice disk(String name) throws Exception {
    BlockDevice d = FileBlockDevice.open(dir.resolve(name), DISK, FlushPolicy.OS);
    disks.add(d);
    return d;
  }

  private VmEnvironment env(BlockDevice disk, StepClock clock, RecordingSink sink) {
    return new VmEnvironment(disk, clock, clock, sink)
        .withLaunch(new WasiLaunch(List.of(), Map.of()));
  }

  private Node boot(String id, GuestModule guest, BlockDevice disk) {
    StepClock clock = new StepClock();
    RecordingSink sink = new RecordingSink();
    MicroVm vm = MicroVm.create(id, guest, config, env(disk, clock, sink));
    vms.add(vm);
    vm.start();
    return new Node(vm, sink, clock);
  }

  private final Map<Node, Map<Integer, Long>> offsets = new HashMap<>();

  /** Sends lines on connection {@code conn} of every node and returns each node's new answers. */
  private List<String> send(int conn, String lines, Node... nodes) {
    byte[] b = lines.getBytes(StandardCharsets.UTF_8);
    List<String> answers = new ArrayList<>();
    for (Node n : nodes) {
      Map<Integer, Long> off = offsets.computeIfAbsent(n, k -> new HashMap<>());
      if (!off.containsKey(conn)) {
        n.vm().submit(new InputEvent.Open(conn));
        off.put(conn, 0L);
      }
      int before = n.sink().text(conn).length();
      n.vm().submit(new InputEvent.Data(conn, off.get(conn), b));
      off.merge(conn, (long) b.length, Long::sum);
      await().atMost(WAIT).pollInterval(Duration.ofMillis(2)).until(n.vm()::idle);
      assertThat(n.vm().state()).as(n.vm().id()).isEqualTo(VmState.RUNNING);
      answers.add(n.sink().text(conn).substring(before));
    }
    return answers;
  }

  @Test
  void filesAndAnOpenFileTravelWithACheckpointToAnotherVm() throws Exception {
    GuestModule files = TestGuests.get("wasi-files");
    Node a = boot("fa", files, disk("a.img"));
    assertThat(send(1, "put notes hello\nadd notes  world\nmkdir sub\nput sub/x 42\n", a))
        .containsExactly("ok\nok\nok\nok\n");
    assertThat(send(1, "open notes\ngets 6\ncat notes\nls\n", a))
        .containsExactly("ok\nhello \nhello world\nnotes sub\n");

    // capture while blocked in recv; B's disk is A's at the capture, as a mirror commit gives it
    await().atMost(WAIT).until(a.vm()::idle);
    Captured cp = a.vm().capture(1, 0, true);
    Files.copy(dir.resolve("a.img"), dir.resolve("b.img"));
    Files.copy(dir.resolve("a.img"), dir.resolve("c.img"));
    StepClock bClock = new StepClock();
    RecordingSink bSink = new RecordingSink(false);
    MicroVm bVm =
        MicroVm.restore("fb", files, config, env(disk("b.img"), bClock, bSink), cp.checkpoint());
    vms.add(bVm);
    bVm.start();
    Node b = new Node(bVm, bSink, bClock);
    offsets.put(b, new HashMap<>(Map.of(1, offsets.get(a).get(1))));
    Node c = boot("fc", files, disk("c.img")); // the same disk, never synced

    String next =
        "gets 5\nputs !\nseek 0\ngets 100\nmv notes kept\ncat kept\nls\nsize sub/x\nrm sub/x\nls sub\ncat sub/x\n";
    List<String> got = send(1, next, a, b, c);
    assertThat(got.get(0))
        .isEqualTo("world\nok\n0\nhello world!\nok\nhello world!\nkept sub\n2\nok\n\nerr 44\n");
    assertThat(got.get(1)).as("B answers as A after the apply").isEqualTo(got.get(0));
    assertThat(got.get(2)).as("a VM that never got the checkpoint").isNotEqualTo(got.get(0));

    // a second round (the server takes one client at a time: the first leaves), more writes, a
    // delta checkpoint, the same answers
    for (Node n : List.of(a, b)) {
      n.vm().submit(new InputEvent.Close(1, offsets.get(n).get(1)));
    }
    send(2, "put more data\nopen more\nseek 2\n", a, b);
    await().atMost(WAIT).until(a.vm()::idle);
    Captured delta = a.vm().capture(1, 1, false);
    Files.copy(dir.resolve("a.img"), dir.resolve("b2.img"));
    // B's disk now is A's at barrier 1 (the mirror's commit); the device is swapped by a restore
    StepClock b2Clock = new StepClock();
    RecordingSink b2Sink = new RecordingSink(false);
    MicroVm b2 =
        MicroVm.restore(
            "fb2", files, config, env(disk("b2.img"), b2Clock, b2Sink), cp.checkpoint());
    vms.add(b2);
    b2.apply(delta.checkpoint());
    b2.start();
    Node bb = new Node(b2, b2Sink, b2Clock);
    offsets.put(bb, new HashMap<>(Map.of(2, offsets.get(a).get(2))));
    got = send(2, "gets 10\nls\ncat kept\n", a, bb);
    assertThat(got.get(0)).isEqualTo("ta\nkept more sub\nhello world!\n");
    assertThat(got.get(1)).isEqualTo(got.get(0));
    for (Node n : List.of(a, b, bb)) {
      assertThat(n.vm().state()).isEqualTo(VmState.RUNNING);
    }
  }

  @Test
  void aRebootedVmSeesWhatWasSyncedAndOnlyThat() throws Exception {
    GuestModule files = TestGuests.get("wasi-files");
    Node a = boot("ra", files, disk("r.img"));
    send(1, "put synced yes\nopen synced\nsync\nput later no\nmv synced renamed\n", a);
    a.vm().stop(); // stopping a VM closes its disk: each boot opens the image again
    Node again = boot("rb", files, disk("r.img"));
    assertThat(send(1, "ls\ncat synced\ncat later\n", again))
        .containsExactly("synced\nyes\nerr 44\n");
    send(1, "mv synced renamed\nsync\n", again);
    again.vm().stop();
    Node third = boot("rc", files, disk("r.img"));
    assertThat(send(1, "ls\ncat renamed\n", third)).containsExactly("renamed\nyes\n");
  }

  @Test
  void kvWasiKeepsItsLogInDataAndReplaysItAtBoot() throws Exception {
    GuestLoader loader =
        new GuestLoader(
            16 << 20, Set.of(1), true, WasmOptAsyncify.locate("wasm-opt", Duration.ofMinutes(2)));
    GuestModule kv = loader.load("kvw", Guests.wasm("kv/kv-wasi.wasm"));
    Node a = boot("kva", kv, disk("kv.img"));
    String sets = "";
    for (int i = 0; i < 50; i++) {
      sets += resp("SET", "key" + i, "value" + i);
    }
    send(1, resp("CONFIG", "SET", "appendfsync", "always") + sets, a);
    assertThat(a.sink().text(1)).isEqualTo("+OK\r\n".repeat(51));
    a.vm().stop();
    Node b = boot("kvb", kv, disk("kv.img"));
    send(1, resp("GET", "key49") + resp("DBSIZE") + resp("INFO", "persistence"), b);
    assertThat(b.sink().text(1)).startsWith("$7\r\nvalue49\r\n:50\r\n").contains("aof_enabled:1");
  }

  private static String resp(String... args) {
    return new String(Resp.command(args), java.nio.charset.StandardCharsets.UTF_8);
  }

  @org.junit.jupiter.api.AfterEach
  void stop() throws Exception {
    for (MicroVm vm : vms) {
      vm.stop();
    }
    for (BlockDevice d : disks) {
      d.close();
    }
  }
}
