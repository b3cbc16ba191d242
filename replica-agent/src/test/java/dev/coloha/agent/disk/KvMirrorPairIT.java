package dev.coloha.agent.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.VmConfig;
import dev.coloha.microvm.VmEnvironment;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.testkit.Resp;
import dev.coloha.wire.block.BlockClient;
import dev.coloha.wire.block.WriteBehind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The kv guest with its append-only log as a primary/secondary pair, each VM's disk a {@link
 * MirrorBlockDevice} on its own real disk mirror, the two mirrors replicating over HTTP. After
 * checkpoint N the secondary's disk is the primary's disk at barrier N; after failover a VM booted
 * from the secondary's disk alone has every write a client saw acknowledged, and none of the
 * primary's that no checkpoint covered.
 *
 * <p>Run with the secondary's hold (its agent keeps the VM's overlay writes until the commit that
 * discards them, {@code colo.agent.mirror.secondary-hold-bytes}) and without: with it, the writes
 * the secondary VM made after the last checkpoint are on no mirror until the failover, which sends
 * them first; the disk after the failover is the same either way.
 */
class KvMirrorPairIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String VOLUME = "kv";
  private static final BlockClient.Options IO = BlockClient.Options.defaults();

  @TempDir Path dir;

  private final VmConfig config = VmConfig.defaults().withMemoryLimit(32L << 20);

  private static void awaitIdle(MicroVm vm) {
    await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(vm::idle);
  }

  private static void awaitReplies(Kv.Sink sink, int conn, String reply, int count) {
    await().atMost(WAIT).until(() -> occurrences(sink.text(conn), reply) >= count);
  }

  private static int occurrences(String text, String s) {
    int n = 0;
    for (int i = text.indexOf(s); i >= 0; i = text.indexOf(s, i + s.length())) {
      n++;
    }
    return n;
  }

  private static String digest(Mirror m, String which) {
    return m.get("/v1/volumes/" + VOLUME + "/digest").path(which).asString();
  }

  private static String state(Mirror m) {
    return m.get("/v1/volumes/" + VOLUME).path("state").asString();
  }

  @ParameterizedTest(name = "secondary hold {0}")
  @ValueSource(booleans = {true, false})
  void theSecondaryHoldsThePrimarysLogAfterACheckpointAndEveryAcknowledgedWriteAfterFailover(
      boolean hold) throws Exception {
    Mirror a = Mirror.start("mirror-a", dir.resolve("a"));
    Mirror b = Mirror.start("mirror-b", dir.resolve("b"));
    MicroVm p = null;
    MicroVm s = null;
    MicroVm fresh = null;
    try {
      // the volumes: a primary on host A, its secondary on host B, synced by a resync
      a.post("/v1/volumes", "{\"id\":\"kv\",\"sizeBytes\":8388608,\"epoch\":1}");
      b.post(
          "/v1/volumes",
          "{\"id\":\"kv\",\"sizeBytes\":8388608,\"role\":\"SECONDARY\",\"epoch\":1}");
      a.post(
          "/v1/volumes/kv/resync",
          "{\"secondaryUrl\":\"" + b.uri() + "\",\"secondaryVolume\":\"kv\"}");
      await().atMost(WAIT).until(() -> state(a).equals("REPLICATING"));

      // the primary VM boots (the kv guest formats its disk); checkpoint 0 starts the secondary
      MirrorBlockDevice pDisk = MirrorBlockDevice.open(a.uri(), VOLUME, 1, IO);
      Kv.Sink pOut = new Kv.Sink();
      p = MicroVm.create("p", Kv.guest(), config, VmEnvironment.of(pDisk, pOut));
      p.start();
      Captured c0 = p.capture(1, 0, true);
      // the secondary's VM reaches its mirror through the local transport (Unix-domain socket)
      WriteBehind.Limits limits = WriteBehind.Limits.defaults().withTimeout(IO.requestTimeout());
      MirrorBlockDevice sDisk =
          MirrorBlockDevice.open(
              b.socketUri(), VOLUME, 1, IO, hold ? limits : limits.withSecondaryHoldBytes(0));
      Kv.Sink sOut = new Kv.Sink();
      assertThat(sDisk.commit(0)).isZero(); // commit, then apply (here: restore from) checkpoint 0
      s = MicroVm.restore("s", Kv.guest(), config, VmEnvironment.of(sDisk, sOut), c0.checkpoint());
      s.journaling(true);
      s.start();

      // interval 1: the same client input to both; equal replies are released to the client
      List<String> acknowledged = new ArrayList<>();
      Kv.Client pc = new Kv.Client(p, 1);
      Kv.Client sc = new Kv.Client(s, 1);
      for (int i = 0; i < 100; i++) {
        byte[] set = Resp.command("SET", "a:" + i, "value-a-" + i);
        pc.send(set);
        sc.send(set);
        acknowledged.add("a:" + i);
      }
      awaitReplies(pOut, 1, "+OK\r\n", 100);
      awaitReplies(sOut, 1, "+OK\r\n", 100);
      assertThat(sOut.text(1)).isEqualTo(pOut.text(1));
      awaitIdle(p);

      // checkpoint 1: the primary pauses only for the capture, which marks disk barrier 1
      Captured c1 = p.capture(1, 1, false);
      String primaryAtBarrier = digest(a, "base");

      // interval 2 runs on both before the secondary applies checkpoint 1
      for (int i = 0; i < 50; i++) {
        byte[] set = Resp.command("SET", "b:" + i, "value-b-" + i);
        pc.send(set);
        sc.send(set);
        acknowledged.add("b:" + i);
      }
      awaitReplies(pOut, 1, "+OK\r\n", 150);
      awaitReplies(sOut, 1, "+OK\r\n", 150);
      awaitIdle(p);
      awaitIdle(s);
      // written behind: the guest's everysec flush (or the idle heartbeat) sends them
      await().atMost(WAIT).until(() -> !digest(a, "base").equals(primaryAtBarrier));

      // the secondary pauses, its mirror commits barrier 1, it applies checkpoint 1
      s.pause();
      assertThat(sDisk.commit(1)).isEqualTo(1);
      s.apply(c1.checkpoint());
      assertThat(digest(b, "view"))
          .as("after checkpoint 1 the secondary's disk is the primary's at barrier 1")
          .isEqualTo(primaryAtBarrier);
      c1.release();
      s.start(); // re-executes interval 2 from its input journal, writing its overlay
      awaitIdle(s);
      await().atMost(WAIT).until(() -> pDisk.pendingWrites() == 0);
      String primaryAfterInterval2 = digest(a, "base");
      if (hold) {
        // the secondary's overlay writes stay in its agent: its flushes (everysec) send nothing
        await()
            .during(Duration.ofMillis(2500))
            .atMost(WAIT)
            .until(() -> digest(b, "view").equals(primaryAtBarrier));
        assertThat(sDisk.pendingWrites()).as("overlay writes held in the agent").isPositive();
      } else {
        await().atMost(WAIT).until(() -> digest(b, "view").equals(primaryAfterInterval2));
      }

      // interval 2 continues on the primary alone (the secondary lags): held, never released
      Kv.Client onlyP = new Kv.Client(p, 2);
      for (int i = 0; i < 20; i++) {
        onlyP.send(Resp.command("SET", "p:" + i, "primary-only"));
      }
      awaitReplies(pOut, 2, "+OK\r\n", 20);
      awaitIdle(p);
      await()
          .atMost(WAIT)
          .until(
              () ->
                  pDisk.pendingWrites() == 0
                      && a.get("/v1/volumes/kv").path("pendingWrites").asLong() == 0
                      && b.get("/v1/volumes/kv").path("pendingWrites").asLong() > 0);
      assertThat(b.get("/v1/volumes/kv").path("pendingWrites").asLong())
          .as("the primary's writes after barrier 1 are held hidden on the secondary")
          .isPositive();

      // the primary's host dies; the secondary takes over in epoch 2
      p.stop();
      p = null;
      a.close();
      s.pause();
      sDisk.flush();
      if (hold) {
        assertThat(digest(b, "view"))
            .as("a secondary's flush sends none of its held overlay writes")
            .isEqualTo(primaryAtBarrier);
      }
      sDisk.failover(2); // sends the held overlay writes first, then promotes the volume
      assertThat(digest(b, "base"))
          .as(
              "after failover the secondary's disk has the writes its VM made after the last"
                  + " checkpoint (the same log as the primary's after interval 2)")
          .isEqualTo(primaryAfterInterval2);
      assertThat(sDisk.pendingWrites()).isZero();
      s.stop();
      s = null;

      // a VM booted from the secondary's disk alone replays its log
      Kv.Sink out = new Kv.Sink();
      fresh =
          MicroVm.create(
              "fresh",
              Kv.guest(),
              config,
              VmEnvironment.of(MirrorBlockDevice.open(b.uri(), VOLUME, 2, IO), out));
      fresh.start();
      Kv.Client fc = new Kv.Client(fresh, 1);
      StringBuilder expected = new StringBuilder();
      for (String key : acknowledged) {
        fc.send(Resp.command("GET", key));
        String value = "value-" + key.replace(":", "-");
        expected.append('$').append(value.length()).append("\r\n").append(value).append("\r\n");
      }
      for (int i = 0; i < 20; i++) {
        fc.send(Resp.command("GET", "p:" + i));
        expected.append("$-1\r\n");
      }
      fc.send(Resp.command("DBSIZE"));
      expected.append(":").append(acknowledged.size()).append("\r\n");
      await()
          .atMost(WAIT)
          .untilAsserted(() -> assertThat(out.text(1)).isEqualTo(expected.toString()));
    } finally {
      for (MicroVm vm : new MicroVm[] {p, s, fresh}) {
        if (vm != null) {
          vm.stop();
        }
      }
      a.close();
      b.close();
    }
  }
}
