package dev.coloha.wire.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CheckpointCodecTest {
  private static final CheckpointLimits LIMITS = CheckpointLimits.defaults();

  static Checkpoint sample(Random rnd, boolean full) {
    int memoryPages = 1 + rnd.nextInt(4);
    int total = memoryPages * Checkpoint.PAGES_PER_WASM_PAGE;
    int[] idx = rnd.ints(0, total).distinct().limit(1 + rnd.nextInt(total)).sorted().toArray();
    byte[] data = new byte[idx.length * Checkpoint.PAGE_SIZE];
    rnd.nextBytes(data);
    byte[] hash = new byte[32];
    rnd.nextBytes(hash);
    long seq = 5 + rnd.nextInt(100);
    CheckpointHeader h =
        new CheckpointHeader(
            "kv", hash, 3, seq, full ? CheckpointHeader.NO_BASE : seq - 1, memoryPages, idx.length);
    DeviceState d =
        new DeviceState(
            seq,
            seq,
            List.of(
                new ConnectionState(1, true, false, 10, 20),
                new ConnectionState(4, false, false, 0, 0)),
            List.of(2, 3),
            List.of(new TimerState(1, 5_000_000)));
    return new Checkpoint(
        h,
        idx,
        data,
        List.of(new GlobalValue(0, 0x7f, 66_000, 0), new GlobalValue(3, 0x7e, -1, 0)),
        d);
  }

  static byte[] encode(Checkpoint cp) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new CheckpointWriter(4).write(cp, new FrameOutput(out));
    return out.toByteArray();
  }

  static Checkpoint decode(byte[] bytes) throws IOException {
    return new CheckpointReader(LIMITS)
        .read(new FrameInput(new ByteArrayInputStream(bytes), LIMITS.maxFramePayload()));
  }

  @Test
  void roundTripsFullAndDeltaCheckpoints() throws IOException {
    for (long seed = 0; seed < 50; seed++) {
      Random rnd = new Random(seed);
      Checkpoint cp = sample(rnd, seed % 2 == 0);
      Checkpoint back = decode(encode(cp));
      assertThat(back.header()).isEqualTo(cp.header());
      assertThat(back.pageIndices()).isEqualTo(cp.pageIndices());
      assertThat(back.pageData()).isEqualTo(cp.pageData());
      assertThat(back.globals()).isEqualTo(cp.globals());
      assertThat(back.device()).isEqualTo(cp.device());
    }
  }

  @Test
  void guestStateRoundTripsAndIsAbsentForGuestAbiV1() throws IOException {
    Checkpoint plain = sample(new Random(21), true);
    assertThat(decode(encode(plain)).device().guestState()).isEmpty();
    DeviceState d = plain.device();
    byte[] state = new byte[300];
    new Random(22).nextBytes(state);
    Checkpoint wasi =
        new Checkpoint(
            plain.header(),
            plain.pageIndices(),
            plain.pageData(),
            plain.globals(),
            new DeviceState(
                d.interval(),
                d.diskBarrier(),
                d.connections(),
                d.closedConnections(),
                d.timers(),
                state));
    DeviceState back = decode(encode(wasi)).device();
    assertThat(back.guestState()).isEqualTo(state);
    assertThat(back).isEqualTo(wasi.device()).isNotEqualTo(d);
  }

  @Test
  void everySingleFlippedByteIsDetected() throws IOException {
    byte[] good = encode(sample(new Random(7), false));
    for (int i = 0; i < good.length; i += Math.max(1, good.length / 997)) {
      byte[] bad = good.clone();
      bad[i] ^= 0x5a;
      int at = i;
      assertThatThrownBy(() -> decode(bad))
          .as("flipped byte %d of %d", at, good.length)
          .isInstanceOfAny(CorruptStreamException.class, EOFException.class);
    }
  }

  @Test
  void everyTruncationIsDetected() throws IOException {
    byte[] good = encode(sample(new Random(11), true));
    for (int len = 0; len < good.length; len += Math.max(1, good.length / 501)) {
      byte[] cut = java.util.Arrays.copyOf(good, len);
      int at = len;
      assertThatThrownBy(() -> decode(cut))
          .as("cut at %d of %d", at, good.length)
          .isInstanceOfAny(CorruptStreamException.class, EOFException.class);
    }
  }

  @Test
  void aHugeDeclaredFrameIsRefusedBeforeAllocating() {
    byte[] evil = {CheckpointFrame.HEADER, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    assertThatThrownBy(() -> decode(evil))
        .isInstanceOf(CorruptStreamException.class)
        .hasMessageContaining("limit");
  }

  @Test
  void memoryBeyondTheLimitIsRefused() throws IOException {
    Random rnd = new Random(3);
    Checkpoint cp = sample(rnd, true);
    CheckpointLimits tight = new CheckpointLimits(0, 256, 10, 10, 10);
    byte[] bytes = encode(cp);
    assertThatThrownBy(
            () ->
                new CheckpointReader(tight)
                    .read(new FrameInput(new ByteArrayInputStream(bytes), 1 << 20)))
        .isInstanceOf(CorruptStreamException.class)
        .hasMessageContaining("exceeds the limit");
  }
}
