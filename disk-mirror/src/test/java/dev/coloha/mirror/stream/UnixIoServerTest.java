package dev.coloha.mirror.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.mirror.volume.CreateVolume;
import dev.coloha.mirror.volume.VolumeObserver;
import dev.coloha.mirror.volume.VolumeSettings;
import dev.coloha.mirror.volume.Volumes;
import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.block.BlockClient;
import dev.coloha.wire.block.SectorRangeException;
import dev.coloha.wire.block.VolumeNotFoundException;
import dev.coloha.wire.block.WriteBehind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The local transport: I/O streams on the mirror's Unix-domain socket carry the same requests,
 * replies and typed errors as the HTTP stream; a refused attachment is the same typed error.
 */
class UnixIoServerTest {
  @TempDir Path dir;

  /** With and without the stream thread's poll for the next request after a flush. */
  @ParameterizedTest
  @ValueSource(longs = {0, 1000})
  void aVolumeIsReadAndWrittenOverTheSocketAndRefusalsAreTyped(long pollAfterFlushMillis)
      throws Exception {
    try (Volumes volumes =
            new Volumes(
                dir.resolve("data"),
                8,
                1 << 30,
                VolumeSettings.defaults(),
                VolumeObserver.NONE,
                (u, v) -> null);
        UnixIoServer server =
            UnixIoServer.start(
                dir.resolve("io.sock"),
                volumes,
                VolumeObserver.NONE,
                4 << 20,
                Duration.ofMillis(pollAfterFlushMillis))) {
      volumes.create(new CreateVolume("v", 1 << 20, VolumeRole.PRIMARY, 2));
      assertThat(Files.getPosixFilePermissions(server.path()))
          .allMatch(p -> p.name().startsWith("OWNER"));

      byte[] block = new byte[4096];
      Arrays.fill(block, (byte) 9);
      try (BlockClient c =
          BlockClient.connectUnix(server.path(), "v", 2, BlockClient.Options.defaults())) {
        assertThat(c.sizeBytes()).isEqualTo(1 << 20);
        assertThat(c.role()).isEqualTo(VolumeRole.PRIMARY);
        c.write(8192, block, 0, block.length);
        c.flush();
        c.barrier(1);
        byte[] back = new byte[4096];
        c.read(8192, back, 0, back.length);
        assertThat(back).isEqualTo(block);
        assertThatThrownBy(() -> c.write(1 << 20, block, 0, 512))
            .isInstanceOf(SectorRangeException.class);
        c.flush(); // a refused request does not end the stream
      }

      // the write-behind disk over the socket: writes queued, the flush waits for them
      try (WriteBehind disk =
          new WriteBehind(
              () -> BlockClient.connectUnix(server.path(), "v", 2, BlockClient.Options.defaults()),
              WriteBehind.Limits.defaults())) {
        for (int i = 0; i < 200; i++) {
          block[0] = (byte) i;
          disk.write(i * 4096L, block, 0, block.length);
        }
        disk.flush();
        assertThat(disk.pendingWrites()).isZero();
        byte[] back = new byte[4096];
        disk.read(199 * 4096L, back, 0, back.length);
        assertThat(back[0]).isEqualTo((byte) 199);
      }

      assertThatThrownBy(
              () ->
                  BlockClient.connectUnix(server.path(), "nope", 2, BlockClient.Options.defaults()))
          .isInstanceOf(VolumeNotFoundException.class);
      assertThatThrownBy(
              () -> BlockClient.connectUnix(server.path(), "v", 1, BlockClient.Options.defaults()))
          .isInstanceOfSatisfying(
              StaleEpochException.class, e -> assertThat(e.currentEpoch()).isEqualTo(2));
    }
  }
}
