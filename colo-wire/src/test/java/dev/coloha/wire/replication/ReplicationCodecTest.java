package dev.coloha.wire.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.checkpoint.CheckpointFrame;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ReplicationCodecTest {
  private final ReplicationCodec codec = new ReplicationCodec();

  private Object roundTrip(ReplicationFrame f) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    codec.write(f, new FrameOutput(b));
    return codec.read(new FrameInput(new ByteArrayInputStream(b.toByteArray()), 1 << 20), 256);
  }

  @Test
  void everyFrameRoundTrips() throws IOException {
    byte[] hash = new byte[32];
    hash[5] = 9;
    ReplicationFrame.Hello hello =
        (ReplicationFrame.Hello) roundTrip(new ReplicationFrame.Hello(7, "vm", "kv", hash));
    assertThat(hello.epoch()).isEqualTo(7);
    assertThat(hello.vm()).isEqualTo("vm");
    assertThat(hello.moduleHash()).isEqualTo(hash);
    assertThat(roundTrip(new ReplicationFrame.Ready(-1))).isEqualTo(new ReplicationFrame.Ready(-1));
    assertThat(roundTrip(new ReplicationFrame.Verify(4))).isEqualTo(new ReplicationFrame.Verify(4));
    ReplicationFrame.Ack ack =
        (ReplicationFrame.Ack) roundTrip(new ReplicationFrame.Ack(3, 10, 20, hash));
    assertThat(ack.digest()).isEqualTo(hash);
    assertThat(roundTrip(new ReplicationFrame.Heartbeat(1, 2)))
        .isEqualTo(new ReplicationFrame.Heartbeat(1, 2));
    assertThat(roundTrip(new ReplicationFrame.Error("x", "y")))
        .isEqualTo(new ReplicationFrame.Error("x", "y"));
    byte[] pages = new byte[2 * 4096];
    pages[4096] = 42;
    ReplicationFrame.Precopy p =
        (ReplicationFrame.Precopy) roundTrip(new ReplicationFrame.Precopy(2, 1, 3, 2, pages, 0));
    assertThat(p.firstPage()).isEqualTo(3);
    assertThat(p.data()[4096]).isEqualTo((byte) 42);
  }

  @Test
  void aCheckpointHeaderIsHandedBackToTheCaller() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    new FrameOutput(b).frame(CheckpointFrame.HEADER, new byte[3]);
    Object f = codec.read(new FrameInput(new ByteArrayInputStream(b.toByteArray()), 1 << 20), 256);
    assertThat(f).isInstanceOf(ReplicationCodec.CheckpointStart.class);
  }

  @Test
  void aPrecopyRunBeyondItsMemoryIsCorrupt() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    codec.write(
        new ReplicationFrame.Precopy(0, 1, 15, 2, new byte[2 * 4096], 0), new FrameOutput(b));
    assertThatThrownBy(
            () ->
                codec.read(new FrameInput(new ByteArrayInputStream(b.toByteArray()), 1 << 20), 256))
        .isInstanceOf(CorruptStreamException.class);
  }
}
