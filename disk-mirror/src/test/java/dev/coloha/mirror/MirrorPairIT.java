package dev.coloha.mirror;

import static dev.coloha.mirror.testing.MirrorVolumes.digest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.mirror.testing.MirrorNode;
import dev.coloha.mirror.testing.MirrorVolumes;
import dev.coloha.testkit.Http;
import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.block.BlockClient;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real mirrors on loopback ports: a primary volume on A replicated over HTTP to a secondary
 * volume on B; commit, failover and fencing over the I/O streams and the REST API; B restarted
 * while A keeps writing.
 */
class MirrorPairIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String[] FAST = {
    "--colo.mirror.flush-policy=OS",
    "--colo.mirror.replication.heartbeat-interval=100ms",
    "--colo.mirror.replication.reconnect-backoff=50ms",
    "--colo.mirror.replication.max-reconnect-backoff=300ms"
  };

  @TempDir Path dir;
  MirrorNode a;
  MirrorNode b;

  @BeforeEach
  void start() {
    a = MirrorNode.start(dir.resolve("a"), FAST);
    b = MirrorNode.start(dir.resolve("b"), FAST);
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
  }

  private static BlockClient attach(MirrorNode m, String volume, long epoch) {
    return BlockClient.connect(URI.create(m.url()), volume, epoch, BlockClient.Options.defaults());
  }

  private static void randomWrites(BlockClient c, Random rnd, int n) {
    for (int i = 0; i < n; i++) {
      int sectors = 1 + rnd.nextInt(8);
      long offset = (long) rnd.nextInt((int) (c.sizeBytes() / 512) - sectors) * 512;
      byte[] data = new byte[sectors * 512];
      rnd.nextBytes(data);
      c.write(offset, data, 0, data.length);
    }
  }

  private void protect(String volume) {
    MirrorVolumes.protect(a.api(), b.api(), b.url(), volume, 4194304, WAIT);
  }

  @Test
  void aPrimaryOnOneMirrorIsProtectedByASecondaryOnAnotherThenFailsOverToIt() {
    protect("vm1");
    Http pa = a.api();
    Http sb = b.api();
    Random rnd = new Random(1);
    try (BlockClient pvm = attach(a, "vm1", 1);
        BlockClient svm = attach(b, "vm1", 1)) {
      assertThat(svm.role()).isEqualTo(VolumeRole.SECONDARY);
      randomWrites(pvm, rnd, 200);
      pvm.barrier(0);
      String atBarrier = digest(pa, "vm1", "base");
      randomWrites(pvm, rnd, 50);
      randomWrites(svm, rnd, 50);
      assertThat(svm.commit(0)).isZero();
      assertThat(digest(sb, "vm1", "view")).isEqualTo(atBarrier);

      randomWrites(pvm, rnd, 100);
      pvm.barrier(1);
      String atOne = digest(pa, "vm1", "base");
      sb.ok(sb.post("/v1/volumes/vm1/commit", "{\"epoch\":1,\"barrier\":1}"));
      assertThat(digest(sb, "vm1", "view")).isEqualTo(atOne);
      await()
          .atMost(WAIT)
          .until(() -> pa.ok(pa.get("/v1/volumes/vm1")).path("committedBarrier").asLong() == 1);

      randomWrites(svm, rnd, 30); // the secondary's own writes since checkpoint 1
      randomWrites(pvm, rnd, 30); // the primary's, never committed
      await()
          .atMost(WAIT)
          .until(() -> pa.ok(pa.get("/v1/volumes/vm1")).path("pendingWrites").asLong() == 0);
      String before = digest(sb, "vm1", "view");
      // the coordinator promotes the volume, then the secondary's agent (still in epoch 1) does
      sb.ok(sb.post("/v1/volumes/vm1/failover", "{\"epoch\":2}"));
      svm.failover(2);
      assertThat(svm.epoch()).isEqualTo(2);
      assertThat(digest(sb, "vm1", "base")).isEqualTo(before);
      assertThat(sb.ok(sb.get("/v1/volumes/vm1")).path("role").asString()).isEqualTo("PRIMARY");
      randomWrites(svm, rnd, 10); // the new primary serves its VM

      // the old primary's mirror learns epoch 2 from the secondary and fences its VM
      await()
          .atMost(WAIT)
          .until(() -> pa.ok(pa.get("/v1/volumes/vm1")).path("state").asString().equals("FENCED"));
      assertThatThrownBy(() -> pvm.write(0, new byte[512], 0, 512))
          .isInstanceOfSatisfying(
              StaleEpochException.class, e -> assertThat(e.currentEpoch()).isEqualTo(2));
    }
  }

  @Test
  void theSecondarysMirrorRestartsAndThePrimaryCatchesUp() {
    protect("vm2");
    Http pa = a.api();
    Random rnd = new Random(2);
    try (BlockClient pvm = attach(a, "vm2", 1)) {
      randomWrites(pvm, rnd, 100);
      pvm.barrier(0);
      b.stop();
      randomWrites(pvm, rnd, 100); // queued for the secondary meanwhile
      await()
          .atMost(WAIT)
          .until(
              () ->
                  !pa.ok(pa.get("/v1/volumes/vm2"))
                      .path("replication")
                      .path("connected")
                      .asBoolean());
      b.restart();
      Http sb = b.api();
      pvm.barrier(1);
      String atOne = digest(pa, "vm2", "base");
      sb.ok(sb.post("/v1/volumes/vm2/commit", "{\"epoch\":1,\"barrier\":1}"));
      assertThat(digest(sb, "vm2", "view")).isEqualTo(atOne);
      assertThat(pa.ok(pa.get("/v1/volumes/vm2")).path("state").asString())
          .isEqualTo("REPLICATING");
    }
  }
}
