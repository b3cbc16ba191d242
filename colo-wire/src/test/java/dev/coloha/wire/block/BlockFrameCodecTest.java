package dev.coloha.wire.block;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.LimitExceededException;
import dev.coloha.wire.StaleEpochException;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BlockFrameCodecTest {
  private static byte[] encode(List<BlockFrame> frames) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    FrameOutput out = new FrameOutput(bytes);
    BlockFrameCodec codec = new BlockFrameCodec();
    for (BlockFrame f : frames) {
      codec.write(f, out);
    }
    return bytes.toByteArray();
  }

  private static BlockFrame decodeOne(byte[] bytes) throws IOException {
    return new BlockFrameCodec().read(new FrameInput(new ByteArrayInputStream(bytes), 1 << 20));
  }

  @Test
  void everyFrameSurvivesARoundTrip() throws IOException {
    byte[] data = {1, 2, 3, 4};
    List<BlockFrame> frames =
        List.of(
            new BlockFrame.Read(1, 512, 1024),
            new BlockFrame.Write(2, 4096, data),
            new BlockFrame.Flush(3),
            new BlockFrame.Barrier(4, 17),
            new BlockFrame.Commit(5, 17),
            new BlockFrame.Failover(6, 9),
            new BlockFrame.Hello(3, 1 << 20, VolumeRole.SECONDARY, 1 << 20),
            new BlockFrame.Data(7, data),
            new BlockFrame.Done(8, 17),
            new BlockFrame.Fail(9, "stale-epoch", "old", Map.of("currentEpoch", "4")),
            new BlockFrame.ReplicaWrite(10, 16, 512, data),
            new BlockFrame.ReplicaBarrier(11, 17),
            new BlockFrame.ResyncBegin(12, 1 << 20),
            new BlockFrame.ResyncData(13, 0, data),
            new BlockFrame.ResyncEnd(14),
            new BlockFrame.ReplicaHello(3, true, 14, 16),
            new BlockFrame.Ack(14, 16),
            new BlockFrame.Heartbeat(3),
            new BlockFrame.Error("volume-state", "no", Map.of("state", "PRIMARY")),
            new BlockFrame.End());
    FrameInput in = new FrameInput(new ByteArrayInputStream(encode(frames)), 1 << 20);
    BlockFrameCodec codec = new BlockFrameCodec();
    for (BlockFrame expected : frames) {
      BlockFrame got = codec.read(in);
      assertThat(got).usingRecursiveComparison().isEqualTo(expected);
    }
    assertThat(codec.read(in)).isNull();
  }

  @Test
  void malformedFramesAreCorruptionNotGarbage() throws IOException {
    byte[] unknown = {0x33, 0, 0, 0, 0};
    assertThatThrownBy(() -> decodeOne(unknown)).isInstanceOf(CorruptStreamException.class);
    byte[] trailing = encode(List.of(new BlockFrame.Flush(1)));
    byte[] longer = new byte[trailing.length + 1];
    System.arraycopy(trailing, 0, longer, 0, trailing.length);
    longer[4] = 9; // declares one more payload byte than FLUSH has
    assertThatThrownBy(() -> decodeOne(longer)).isInstanceOf(CorruptStreamException.class);
    byte[] negative = encode(List.of(new BlockFrame.Read(1, 0, 512)));
    negative[13] = (byte) 0x80; // offset's top byte: negative
    assertThatThrownBy(() -> decodeOne(negative)).isInstanceOf(CorruptStreamException.class);
    byte[] huge = {0x41, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
    assertThatThrownBy(() -> decodeOne(huge))
        .isInstanceOf(CorruptStreamException.class)
        .hasMessageContaining("limit");
  }

  @Test
  void typedErrorsCrossTheWireAsTheSameClasses() {
    StaleEpochException stale = new StaleEpochException(7, 5);
    var back = BlockErrors.fromWire(stale.type(), stale.getMessage(), BlockErrors.details(stale));
    assertThat(back)
        .isInstanceOfSatisfying(
            StaleEpochException.class,
            e -> {
              assertThat(e.currentEpoch()).isEqualTo(7);
              assertThat(e.offeredEpoch()).isEqualTo(5);
            });
    LimitExceededException limit = new LimitExceededException("request bytes", 2048, 1024);
    assertThat(BlockErrors.fromWire(limit.type(), limit.getMessage(), BlockErrors.details(limit)))
        .isInstanceOfSatisfying(
            LimitExceededException.class,
            e -> {
              assertThat(e.maximum()).isEqualTo(1024);
              assertThat(e.getMessage()).isEqualTo(limit.getMessage());
            });
    SectorRangeException range = new SectorRangeException(100, 512, 4096);
    assertThat(BlockErrors.fromWire(range.type(), range.getMessage(), BlockErrors.details(range)))
        .isInstanceOfSatisfying(
            SectorRangeException.class, e -> assertThat(e.sizeBytes()).isEqualTo(4096));
    assertThat(BlockErrors.fromWire("something-new", "m", Map.of("k", "v")))
        .isInstanceOfSatisfying(
            RemoteBlockException.class, e -> assertThat(e.type()).isEqualTo("something-new"));
  }

  @Test
  void aProblemDocumentBecomesItsTypedException() {
    String body =
        "{\"type\":\"https://coloha.dev/problems/stale-epoch\",\"title\":\"Stale epoch\","
            + "\"status\":409,\"detail\":\"epoch 2 is stale; current epoch is 5\","
            + "\"currentEpoch\":5,\"offeredEpoch\":2}";
    assertThat(BlockErrors.fromProblem(409, body))
        .isInstanceOfSatisfying(
            StaleEpochException.class, e -> assertThat(e.currentEpoch()).isEqualTo(5));
    assertThat(
            BlockErrors.fromProblem(
                404,
                "{\"type\":\"https://coloha.dev/problems/volume-not-found\","
                    + "\"detail\":\"no volume 'x'\",\"volume\":\"x\"}"))
        .isInstanceOfSatisfying(
            VolumeNotFoundException.class, e -> assertThat(e.volume()).isEqualTo("x"));
    assertThat(BlockErrors.fromProblem(502, "<html>bad gateway</html>").type())
        .isEqualTo("http-502");
  }

  @Test
  void aProblemDocumentIsReadAsJsonWhateverItsLayout() {
    // pretty-printed, nested members first (never taken for the document's own), escapes of
    // every kind in the detail
    String body =
        """
        {
          "errors" : [ { "type" : "inner", "detail" : "not this one" } ],
          "status" : 409,
          "detail" : "epoch 2 \\u2192 stale: \\"current\\"\\tis 5",
          "type" : "https://coloha.dev/problems/stale-epoch",
          "currentEpoch" : 5,
          "offeredEpoch" : 2
        }
        """;
    assertThat(BlockErrors.fromProblem(409, body))
        .isInstanceOfSatisfying(
            StaleEpochException.class,
            e -> {
              assertThat(e.currentEpoch()).isEqualTo(5);
              assertThat(e.offeredEpoch()).isEqualTo(2);
            });
    assertThat(
            BlockErrors.fromProblem(
                    409,
                    "{\"type\":\"https://coloha.dev/problems/conflict\","
                        + "\"detail\":\"volume \\u00e9t\\u00e9 is \\\"busy\\\"\"}")
                .getMessage())
        .isEqualTo("volume été is \"busy\"");
  }

  @Test
  void aWriteEncodedFromPartOfABufferIsTheWriteOfThoseBytes() throws IOException {
    byte[] held = new byte[2048]; // a held write's buffer, with room for later writes
    for (int i = 0; i < held.length; i++) {
      held[i] = (byte) (i * 7);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new BlockFrameCodec().writeWrite(42, 8192, held, 1024, new FrameOutput(bytes));

    byte[] used = java.util.Arrays.copyOf(held, 1024);
    assertThat(bytes.toByteArray())
        .isEqualTo(encode(List.of(new BlockFrame.Write(42, 8192, used))));
    BlockFrame.Write w = (BlockFrame.Write) decodeOne(bytes.toByteArray());
    assertThat(w.id()).isEqualTo(42);
    assertThat(w.offset()).isEqualTo(8192);
    assertThat(w.data()).isEqualTo(used);
  }

  @Test
  void aDataFrameShorterThanItsFieldsIsCorrupt() throws IOException {
    for (int type :
        new int[] {
          BlockFrameCodec.WRITE,
          BlockFrameCodec.DATA,
          BlockFrameCodec.REPLICA_WRITE,
          BlockFrameCodec.RESYNC_DATA
        }) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      new FrameOutput(bytes).frame(type, new byte[7]);
      assertThatThrownBy(() -> decodeOne(bytes.toByteArray()))
          .isInstanceOf(CorruptStreamException.class);
    }
  }

  @Test
  void aWriteWithANegativeOffsetIsCorrupt() throws IOException {
    byte[] frame = encode(List.of(new BlockFrame.Write(1, 512, new byte[512])));
    frame[5 + 8] = (byte) 0x80; // the offset's sign bit (after the frame head and the id)
    assertThatThrownBy(() -> decodeOne(frame)).isInstanceOf(CorruptStreamException.class);
  }
}
