package dev.coloha.mirror.volume;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordLogTest {
  @TempDir Path dir;

  private List<String> records(Path file) throws IOException {
    List<String> out = new ArrayList<>();
    try (RecordLog log =
        RecordLog.open(
            file,
            1 << 16,
            (type, pos, p) -> {
              byte[] b = new byte[p.remaining()];
              p.get(b);
              out.add(type + ":" + new String(b));
            })) {
      return out;
    }
  }

  private void write(Path file, String... payloads) throws IOException {
    try (RecordLog log = RecordLog.open(file, 1 << 16, (t, p, b) -> {})) {
      for (String s : payloads) {
        byte[] b = s.getBytes();
        log.append(7, b, b.length, new byte[0], 0, 0);
      }
    }
  }

  @Test
  void recordsSurviveAReopenInOrder() throws IOException {
    Path f = dir.resolve("a.log");
    write(f, "one", "two", "three");
    assertThat(records(f)).containsExactly("7:one", "7:two", "7:three");
  }

  @Test
  void aRecordTornInItsMiddleIsDroppedAndTheFileCutThere() throws IOException {
    Path f = dir.resolve("torn.log");
    write(f, "first", "second-record");
    long whole = Files.size(f);
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.truncate(whole - 5);
    }
    assertThat(records(f)).containsExactly("7:first");
    assertThat(Files.size(f)).isEqualTo(RecordLog.OVERHEAD + 5L);
    write(f, "third");
    assertThat(records(f)).containsExactly("7:first", "7:third");
  }

  @Test
  void garbageAfterTheLastRecordAndADamagedRecordStopTheScan() throws IOException {
    Path f = dir.resolve("damaged.log");
    write(f, "aaaa", "bbbb", "cccc");
    long second = RecordLog.OVERHEAD + 4L;
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {'X'}), second + 6); // inside "bbbb"
      ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7}), ch.size());
    }
    assertThat(records(f)).containsExactly("7:aaaa");
  }

  @Test
  void anAbsurdLengthIsCorruptionNotAnAllocation() throws IOException {
    Path f = dir.resolve("length.log");
    write(f, "ok");
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {7, 0x7f, (byte) 0xff, (byte) 0xff, 0}), ch.size());
    }
    assertThat(records(f)).containsExactly("7:ok");
  }

  @Test
  void aRestartedLogIsRewrittenFromItsStartAndOpensInItsEraWithTheNewRecordsOnly()
      throws IOException {
    Path f = dir.resolve("era.log");
    write(f, "an-old-record-of-era-0", "another-old-one", "and-a-third");
    long oldSize = Files.size(f);
    try (RecordLog log = RecordLog.open(f, 1 << 16, 0, (t, p, b) -> {})) {
      log.restart(1);
      assertThat(log.end()).isZero();
      byte[] b = "new".getBytes();
      assertThat(log.append(7, b, b.length, new byte[0], 0, 0)).isZero();
      assertThat(Files.size(f)).as("no truncation: the old records stay behind").isEqualTo(oldSize);
    }
    List<String> era0 = new ArrayList<>();
    List<String> era1 = new ArrayList<>();
    try (RecordLog log =
        RecordLog.open(
            f,
            1 << 16,
            1,
            (type, pos, p) -> {
              byte[] b = new byte[p.remaining()];
              p.get(b);
              era1.add(type + ":" + new String(b));
            })) {
      assertThat(log.end()).isEqualTo(RecordLog.OVERHEAD + 3L);
    }
    assertThat(era1)
        .as("the old era's records behind the new one are cut off")
        .containsExactly("7:new");
    assertThat(Files.size(f)).isEqualTo(RecordLog.OVERHEAD + 3L);
    try (RecordLog log = RecordLog.open(f, 1 << 16, 0, (t, p, b) -> era0.add("?"))) {
      assertThat(log.end()).as("a record of era 1 fails era 0's check").isZero();
    }
    assertThat(era0).isEmpty();
  }

  @Test
  void heldRecordsAreWrittenInOneBatchReadBackAndDroppedByAClose() throws IOException {
    Path f = dir.resolve("held.log");
    try (RecordLog log = RecordLog.open(f, 1 << 16, (t, p, b) -> {})) {
      log.holdUpTo(64);
      long one = log.append(7, "one".getBytes(), 3, new byte[0], 0, 0);
      log.append(7, "two".getBytes(), 3, new byte[0], 0, 0);
      assertThat(Files.size(f)).as("held, not written").isZero();
      assertThat(log.heldBytes()).isEqualTo(2L * (RecordLog.OVERHEAD + 3));
      log.writeHeld();
      assertThat(Files.size(f)).isEqualTo(log.end());
      assertThat(log.heldBytes()).isZero();

      long three = log.append(7, "three".getBytes(), 5, new byte[0], 0, 0);
      byte[] back = new byte[5];
      log.read(three + 5, back, 0, 5); // reading a held record writes it first
      assertThat(new String(back)).isEqualTo("three");
      assertThat(log.payload(one).remaining()).isEqualTo(3);

      // more than the limit: the held ones are written before the next is held
      for (int i = 0; i < 6; i++) {
        log.append(7, ("r" + i).getBytes(), 2, new byte[0], 0, 0);
      }
      assertThat(log.heldBytes()).as("r5 only").isEqualTo(RecordLog.OVERHEAD + 2L);
      assertThat(Files.size(f)).isEqualTo(log.end() - log.heldBytes());
    }
    // closed with records held: they are gone, as after a crash
    assertThat(records(f))
        .containsExactly("7:one", "7:two", "7:three", "7:r0", "7:r1", "7:r2", "7:r3", "7:r4");
  }
}
