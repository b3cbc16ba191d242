package dev.coloha.mirror;

import static dev.coloha.testkit.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.testkit.Http.Reply;
import dev.coloha.testkit.spring.ServiceOnRandomPort;
import dev.coloha.testkit.spring.TemporaryDataDir;
import dev.coloha.wire.LimitExceededException;
import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.block.BlockClient;
import dev.coloha.wire.block.SectorRangeException;
import dev.coloha.wire.block.VolumeNotFoundException;
import dev.coloha.wire.block.VolumeStateException;
import java.net.URI;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.springframework.boot.micrometer.metrics.test.autoconfigure.AutoConfigureMetrics;
import org.springframework.test.context.TestPropertySource;
import tools.jackson.databind.JsonNode;

/** The mirror's REST API and I/O stream on a real server, including every bad-input path. */
@AutoConfigureMetrics
@TemporaryDataDir("colo.mirror.data-dir")
@TestPropertySource(
    properties = {"colo.mirror.max-volume-size=64MB", "colo.mirror.flush-policy=OS"})
class MirrorApiIT extends ServiceOnRandomPort {
  private BlockClient attach(String volume, long epoch) {
    return BlockClient.connect(
        URI.create(api.base()), volume, epoch, BlockClient.Options.defaults());
  }

  @Test
  void volumeLifecycleAndIoThroughThePersistentStream() {
    JsonNode created =
        api.ok(api.post("/v1/volumes", "{\"id\":\"life\",\"sizeBytes\":1048576,\"epoch\":2}"));
    assertThat(created.path("role").asString()).isEqualTo("PRIMARY");
    assertThat(created.path("state").asString()).isEqualTo("UNPROTECTED");
    assertThat(created.path("epoch").asLong()).isEqualTo(2);

    byte[] data = new byte[4096];
    new Random(1).nextBytes(data);
    try (BlockClient c = attach("life", 2)) {
      assertThat(c.sizeBytes()).isEqualTo(1 << 20);
      assertThat(c.role()).isEqualTo(VolumeRole.PRIMARY);
      assertThat(c.maxRequest()).isEqualTo(1 << 20);
      c.write(8192, data, 0, data.length);
      c.flush();
      c.barrier(0);
      byte[] back = new byte[4096];
      c.read(8192, back, 0, back.length);
      assertThat(back).isEqualTo(data);
    }
    JsonNode status = api.ok(api.get("/v1/volumes/life"));
    assertThat(status.path("writes").asLong()).isEqualTo(1);
    assertThat(status.path("lastBarrier").asLong()).isZero();
    assertThat(api.ok(api.get("/v1/volumes")).size()).isGreaterThanOrEqualTo(1);
    JsonNode digest = api.ok(api.get("/v1/volumes/life/digest"));
    assertThat(digest.path("view").asString())
        .hasSize(64)
        .isEqualTo(digest.path("base").asString());

    assertThat(api.delete("/v1/volumes/life").status()).isEqualTo(204);
    assertProblem(api.get("/v1/volumes/life"), 404, "volume-not-found");
    assertThatThrownBy(() -> attach("life", 2)).isInstanceOf(VolumeNotFoundException.class);
  }

  @Test
  void badRequestsAreProblemDocuments() {
    assertProblem(
        api.post("/v1/volumes", "{\"id\":\"Bad Id\",\"sizeBytes\":4096}"), 400, "invalid-field");
    assertProblem(
        api.post("/v1/volumes", "{\"id\":\"odd\",\"sizeBytes\":1000}"), 400, "invalid-field");
    assertProblem(api.post("/v1/volumes", "{\"id\":\"nosize\"}"), 400, "invalid-field");
    Reply big = api.post("/v1/volumes", "{\"id\":\"big\",\"sizeBytes\":1073741824}");
    assertProblem(big, 400, "invalid-field");
    assertThat(big.json().path("field").asString()).isEqualTo("sizeBytes");
    assertThat(big.json().path("detail").asString()).contains("at most " + (64L << 20));

    api.ok(api.post("/v1/volumes", "{\"id\":\"dup\",\"sizeBytes\":4096,\"epoch\":5}"));
    assertProblem(api.post("/v1/volumes", "{\"id\":\"dup\",\"sizeBytes\":4096}"), 409, "conflict");
    assertProblem(
        api.post("/v1/volumes/dup/commit", "{\"epoch\":5,\"barrier\":1}"), 409, "volume-state");
    Reply stale = api.post("/v1/volumes/dup/failover", "{\"epoch\":4}");
    assertProblem(stale, 409, "stale-epoch");
    assertThat(stale.json().path("currentEpoch").asLong()).isEqualTo(5);
    assertProblem(
        api.post(
            "/v1/volumes/dup/resync", "{\"secondaryUrl\":\"ftp://x\",\"secondaryVolume\":\"s\"}"),
        400,
        "invalid-field");
    assertProblem(api.get("/v1/volumes/nope/digest"), 404, "volume-not-found");
    assertThatThrownBy(() -> attach("dup", 4))
        .isInstanceOfSatisfying(
            StaleEpochException.class, e -> assertThat(e.currentEpoch()).isEqualTo(5));
    assertThat(api.get("/actuator/prometheus").body())
        .contains(
            "colo_api_rejected_total{application=\"disk-mirror\",status=\"409\",type=\"stale-epoch\"}");
  }

  @Test
  void badStreamRequestsFailAloneWithTypedErrorsAndApplyNothing() {
    api.ok(api.post("/v1/volumes", "{\"id\":\"strict\",\"sizeBytes\":65536,\"epoch\":1}"));
    String before = api.ok(api.get("/v1/volumes/strict/digest")).path("base").asString();
    try (BlockClient c = attach("strict", 1)) {
      assertThatThrownBy(() -> c.write(65536, new byte[512], 0, 512))
          .isInstanceOf(SectorRangeException.class);
      assertThatThrownBy(() -> c.write(100, new byte[512], 0, 512))
          .isInstanceOf(SectorRangeException.class);
      assertThatThrownBy(() -> c.read(0, new byte[131072], 0, 131072))
          .isInstanceOf(SectorRangeException.class);
      assertThatThrownBy(() -> c.write(0, new byte[2 << 20], 0, 2 << 20))
          .isInstanceOfSatisfying(
              LimitExceededException.class, e -> assertThat(e.maximum()).isEqualTo(1 << 20));
      assertThatThrownBy(() -> c.commit(0)).isInstanceOf(VolumeStateException.class);
      // a newer attachment moves the volume on: the older one is fenced
      try (BlockClient newer = attach("strict", 2)) {
        newer.flush();
      }
      assertThatThrownBy(() -> c.write(0, new byte[512], 0, 512))
          .isInstanceOfSatisfying(
              StaleEpochException.class, e -> assertThat(e.currentEpoch()).isEqualTo(2));
      assertThat(c.isBroken()).isFalse();
    }
    assertThat(api.ok(api.get("/v1/volumes/strict/digest")).path("base").asString())
        .isEqualTo(before);
    String metrics = api.get("/actuator/prometheus").body();
    assertThat(metrics)
        .contains("colo_mirror_rejected_total{")
        .contains("type=\"sector-range\"")
        .contains("type=\"stale-epoch\"");
  }

  @Test
  void metricsDescribeEveryVolume() {
    api.ok(api.post("/v1/volumes", "{\"id\":\"metered\",\"sizeBytes\":65536}"));
    byte[] block = new byte[512];
    Arrays.fill(block, (byte) 1);
    try (BlockClient c = attach("metered", 0)) {
      for (int i = 0; i < 10; i++) {
        c.write(i * 512L, block, 0, 512);
      }
      c.read(0, new byte[512], 0, 512);
    }
    String metrics = api.get("/actuator/prometheus").body();
    assertThat(metrics)
        .contains("colo_mirror_writes_total{application=\"disk-mirror\",volume=\"metered\"} 10")
        .contains("colo_mirror_write_latency_seconds_bucket{")
        .contains("colo_mirror_bytes_total{")
        .contains("colo_mirror_pending_writes{")
        .contains("colo_mirror_overlay_bytes{")
        .contains("colo_mirror_committed_barrier{")
        .contains("colo_mirror_replication_lag_bytes{")
        .contains("colo_mirror_replication_lag_seconds{")
        .contains("colo_mirror_resync_progress{")
        .contains(
            "colo_mirror_unapplied_sectors{application=\"disk-mirror\",volume=\"metered\"} 0");
  }
}
