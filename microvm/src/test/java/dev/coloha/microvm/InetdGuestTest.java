package dev.coloha.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.checkpoint.CaptureKind;
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
import dev.coloha.testkit.Guests;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inetd programs: Debian's micro-httpd, its source unchanged ({@code
 * guests/third-party/micro-httpd}), serves each connection with a fresh instance whose standard
 * input and output are the connection, one connection at a time in the order delivered. Captured in
 * the middle of a connection (blocked reading the request) with another connection waiting, and
 * applied on another VM, it answers both exactly as the original; a VM that never got the
 * checkpoint does not. A fresh instance leaves the memory identical on a replica that applies the
 * next delta. Connections beyond the queue's limit are closed unanswered.
 */
class InetdGuestTest {
  private static final long DISK = 4L << 20;
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Map<String, String> FILES =
      Map.of("hello.txt", "hello from /data\n", "index-not.html", "<p>x</p>\n");
  private static GuestModule httpd;

  @TempDir Path dir;

  private final VmConfig config = VmConfig.defaults().withMemoryLimit(16L << 20);
  private final List<MicroVm> vms = new ArrayList<>();
  private final List<BlockDevice> disks = new ArrayList<>();

  private record Node(MicroVm vm, RecordingSink sink) {}

  @BeforeAll
  static void load() throws Exception {
    GuestLoader loader =
        new GuestLoader(
            16 << 20, Set.of(1), true, WasmOptAsyncify.locate("wasm-opt", Duration.ofMinutes(2)));
    httpd = loader.load("micro-httpd", Guests.wasm("third-party/micro-httpd/micro-httpd.wasm"));
  }

  private BlockDevice disk(String name) throws Exception {
    BlockDevice d = FileBlockDevice.open(dir.resolve(name), DISK, FlushPolicy.OS);
    disks.add(d);
    return d;
  }

  private static VmEnvironment env(BlockDevice disk, RecordingSink sink) {
    StepClock clock = new StepClock();
    return new VmEnvironment(disk, clock, clock, sink)
        .withLaunch(new WasiLaunch(List.of("/data"), Map.of(), WasiLaunch.Network.INETD, FILES));
  }

  private Node boot(String id, BlockDevice disk, VmConfig cfg) {
    RecordingSink sink = new RecordingSink();
    MicroVm vm = MicroVm.create(id, httpd, cfg, env(disk, sink));
    vms.add(vm);
    vm.start();
    return new Node(vm, sink);
  }

  private Node restore(String id, BlockDevice disk, Captured full) {
    RecordingSink sink = new RecordingSink(false);
    MicroVm vm = MicroVm.restore(id, httpd, config, env(disk, sink), full.checkpoint());
    vms.add(vm);
    vm.start();
    return new Node(vm, sink);
  }

  private static void open(Node n, int conn) {
    n.vm().submit(new InputEvent.Open(conn));
  }

  private static void data(Node n, int conn, long offset, String s) {
    n.vm().submit(new InputEvent.Data(conn, offset, s.getBytes(StandardCharsets.ISO_8859_1)));
  }

  private static void settle(Node n) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(2)).until(n.vm()::idle);
    assertThat(n.vm().state()).as(n.vm().id()).isEqualTo(VmState.RUNNING);
  }

  /** One whole request on a new connection; its answer once the program exited. */
  private static String get(Node n, int conn, String path) {
    open(n, conn);
    String request = "GET " + path + " HTTP/1.0\r\nHost: x\r\n\r\n";
    data(n, conn, 0, request);
    n.vm().submit(new InputEvent.Close(conn, request.length()));
    await().atMost(WAIT).until(() -> n.sink().closed(conn));
    settle(n);
    return n.sink().text(conn);
  }

  @Test
  void eachConnectionIsServedByAFreshInstance() throws Exception {
    Node a = boot("ia", disk("a.img"), config);
    String listing = get(a, 1, "/");
    assertThat(listing)
        .startsWith("HTTP/1.0 200 Ok\r\n")
        .contains("Index of ./")
        .contains("hello.txt")
        .contains("index-not.html");
    assertThat(get(a, 2, "/hello.txt"))
        .startsWith("HTTP/1.0 200 Ok\r\n")
        .contains("Content-Type: text/plain")
        .endsWith("\r\n\r\nhello from /data\n");
    assertThat(get(a, 3, "/missing.txt")).startsWith("HTTP/1.0 404 Not Found\r\n");
    // the same request again, on a fresh instance: the same answer (nothing left of the others)
    assertThat(get(a, 4, "/")).isEqualTo(listing);
    assertThat(a.sink().crash()).isNull();
  }

  @Test
  void aCheckpointInTheMiddleOfAConnectionResumesItOnAnotherVm() throws Exception {
    Node a = boot("ma", disk("m.img"), config);
    assertThat(get(a, 1, "/hello.txt")).endsWith("hello from /data\n");
    // connection 2: the request line only, the program blocks reading the headers; 3 waits
    open(a, 2);
    String line = "GET /hello.txt HTTP/1.0\r\n";
    data(a, 2, 0, line);
    open(a, 3);
    settle(a);
    assertThat(a.sink().text(2)).isEmpty();
    Captured cp = a.vm().capture(1, 0, true);
    Files.copy(dir.resolve("m.img"), dir.resolve("n.img"));
    Files.copy(dir.resolve("m.img"), dir.resolve("o.img"));
    Node b = restore("mb", disk("n.img"), cp);
    Node never = boot("mc", disk("o.img"), config); // the same disk, never got the checkpoint

    String rest = "Host: x\r\n\r\n";
    String third = "GET /missing HTTP/1.0\r\n\r\n";
    for (Node n : List.of(a, b, never)) {
      long at = line.length();
      if (n == b) {
        open(n, 3); // the proxy delivers every connection's input to the secondary too
      }
      if (n == never) {
        open(n, 2);
        open(n, 3);
        at = 0; // it has none of the request line
      }
      data(n, 2, at, rest);
      n.vm().submit(new InputEvent.Close(2, at + rest.length()));
      data(n, 3, 0, third);
      n.vm().submit(new InputEvent.Close(3, third.length()));
      await().atMost(WAIT).until(() -> n.sink().closed(3));
      settle(n);
    }
    assertThat(a.sink().text(2)).startsWith("HTTP/1.0 200 Ok\r\n").endsWith("hello from /data\n");
    assertThat(a.sink().text(3)).startsWith("HTTP/1.0 404 Not Found\r\n");
    assertThat(b.sink().text(2)).as("B resumes connection 2").isEqualTo(a.sink().text(2));
    assertThat(b.sink().text(3)).as("then serves the waiting 3").isEqualTo(a.sink().text(3));
    assertThat(never.sink().text(2)).startsWith("HTTP/1.0 400 Bad Request\r\n");
  }

  @Test
  void aFreshInstanceLeavesTheSameMemoryOnAReplicaThatAppliesTheDelta() throws Exception {
    Node a = boot("da", disk("d.img"), config);
    get(a, 1, "/"); // a listing: scandir's allocations, which a 404 does not make
    Captured full = a.vm().capture(1, 0, true);
    Files.copy(dir.resolve("d.img"), dir.resolve("e.img"));
    Node b = restore("db", disk("e.img"), full);
    get(a, 2, "/missing");
    Captured delta = a.vm().capture(1, 1, CaptureKind.DELTA, true);
    MicroVm.Applied applied = b.vm().apply(delta.checkpoint(), true);
    assertThat(applied.digest()).as("B's memory after the delta").isEqualTo(delta.digest());
  }

  @Test
  void connectionsBeyondTheQueueAreClosedUnanswered() throws Exception {
    Node a = boot("qa", disk("q.img"), config.withMaxInetdQueue(1));
    open(a, 1);
    String line = "GET /hello.txt HTTP/1.0\r\n";
    data(a, 1, 0, line); // 1 is served (blocked on its headers)
    open(a, 2); // 2 waits
    open(a, 3); // 3 is one too many
    await().atMost(WAIT).until(() -> a.sink().closed(3));
    settle(a);
    assertThat(a.sink().text(3)).isEmpty();
    assertThat(a.sink().closed(2)).isFalse();
    data(a, 1, line.length(), "\r\n");
    data(a, 2, 0, "GET /missing HTTP/1.0\r\n\r\n");
    await().atMost(WAIT).until(() -> a.sink().closed(2));
    assertThat(a.sink().text(1)).endsWith("hello from /data\n");
    assertThat(a.sink().text(2)).startsWith("HTTP/1.0 404 Not Found\r\n");
  }

  @AfterEach
  void stop() throws Exception {
    for (MicroVm vm : vms) {
      vm.stop();
    }
    for (BlockDevice d : disks) {
      d.close();
    }
  }
}
