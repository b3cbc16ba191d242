package dev.coloha.agent.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.block.BlockClient;
import dev.coloha.wire.block.VolumeRole;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's mirrored block device: typed errors as disk errors, reconnection, fencing. */
class MirrorBlockDeviceIT {
  @TempDir Path dir;

  @Test
  void mirrorErrorsAreDiskErrorsWithTheirTypeAndABrokenStreamIsReopened() throws Exception {
    Mirror m = Mirror.start("mirror", dir);
    int port = m.port();
    m.post("/v1/volumes", "{\"id\":\"d1\",\"sizeBytes\":1048576,\"epoch\":1}");
    MirrorBlockDevice disk =
        MirrorBlockDevice.open(m.uri(), "d1", 1, BlockClient.Options.defaults());
    try {
      assertThat(disk.sizeBytes()).isEqualTo(1 << 20);
      assertThat(disk.role()).isEqualTo(VolumeRole.PRIMARY);
      byte[] block = new byte[4096];
      Arrays.fill(block, (byte) 7);
      disk.write(4096, block, 0, block.length);
      disk.flush();
      disk.barrier(0);
      assertThatThrownBy(() -> disk.write(1 << 20, block, 0, 512))
          .isInstanceOfSatisfying(
              MirrorIOException.class, e -> assertThat(e.type()).isEqualTo("sector-range"));
      assertThatThrownBy(() -> disk.barrier(0))
          .isInstanceOfSatisfying(
              MirrorIOException.class, e -> assertThat(e.type()).isEqualTo("barrier-order"));
      assertThatThrownBy(() -> disk.commit(0)).hasMessageContaining("only a secondary");

      // the mirror restarts; the device reopens its stream on a later operation
      m.close();
      m = Mirror.start("mirror", dir, port);
      byte[] back = new byte[4096];
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .untilAsserted(
              () -> {
                disk.read(4096, back, 0, back.length);
                assertThat(back).isEqualTo(block);
              });

      // a newer epoch elsewhere fences this device: its writes fail with stale-epoch
      try (BlockClient newer =
          BlockClient.connect(m.uri(), "d1", 2, BlockClient.Options.defaults())) {
        newer.flush();
      }
      assertThatThrownBy(() -> disk.write(0, block, 0, 512))
          .isInstanceOfSatisfying(
              MirrorIOException.class,
              e -> assertThat(e.reason()).isInstanceOf(StaleEpochException.class));
    } finally {
      disk.close();
      m.close();
    }
  }
}
