package dev.coloha.agent.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.block.BlockClient;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The agent's mirrored block device over both transports (loopback HTTP stream, Unix-domain
 * socket): typed errors as disk errors, write-behind with the failure reported by the next flush,
 * reconnection, fencing.
 */
class MirrorBlockDeviceIT {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"http", "unix"})
  void mirrorErrorsAreDiskErrorsWithTheirTypeAndABrokenStreamIsReopened(String transport)
      throws Exception {
    Mirror m = Mirror.start("mirror", dir);
    int port = m.port();
    m.post("/v1/volumes", "{\"id\":\"d1\",\"sizeBytes\":1048576,\"epoch\":1}");
    URI at = transport.equals("unix") ? m.socketUri() : m.uri();
    MirrorBlockDevice disk = MirrorBlockDevice.open(at, "d1", 1, BlockClient.Options.defaults());
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

      // a newer epoch elsewhere fences this device: its write is refused by the mirror after it
      // returned (write-behind), so the next flush reports stale-epoch, and so does every later
      // operation (the disk has failed)
      try (BlockClient newer = BlockClient.connect(at, "d1", 2, BlockClient.Options.defaults())) {
        newer.flush();
      }
      disk.write(0, block, 0, 512);
      assertThatThrownBy(disk::flush)
          .isInstanceOfSatisfying(
              MirrorIOException.class,
              e -> assertThat(e.reason()).isInstanceOf(StaleEpochException.class));
      assertThatThrownBy(() -> disk.barrier(5))
          .isInstanceOfSatisfying(
              MirrorIOException.class,
              e -> assertThat(e.reason()).isInstanceOf(StaleEpochException.class));
    } finally {
      disk.close();
      m.close();
    }
  }
}
