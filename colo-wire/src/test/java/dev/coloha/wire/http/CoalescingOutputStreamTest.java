package dev.coloha.wire.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CoalescingOutputStreamTest {
  /** Records every write it is given, as a socket would see them. */
  private static final class Writes extends OutputStream {
    final List<Integer> sizes = new ArrayList<>();
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    @Override
    public void write(int b) {
      sizes.add(1);
      bytes.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      sizes.add(len);
      bytes.write(b, off, len);
    }
  }

  @Test
  void aLargeWriteCarriesWhatWasHeldAndKeepsItsTailForWhatFollows() throws IOException {
    Writes socket = new Writes();
    CoalescingOutputStream out = new CoalescingOutputStream(socket, 1024);
    out.write(new byte[13]); // a frame head and a chunk line
    out.write(new byte[4096]); // a run of pages
    out.write(new byte[20]); // the trailer
    out.flush();
    // the held bytes go out with the write's first part, its last half buffer with the trailer
    assertThat(socket.sizes).containsExactly(1024, 13 + 4096 - 1024 - 512, 512 + 20);
  }

  @Test
  void theBytesAreThoseWrittenInTheirOrder() throws IOException {
    Random random = new Random(7);
    Writes socket = new Writes();
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    CoalescingOutputStream out = new CoalescingOutputStream(socket, 512);
    for (int i = 0; i < 2_000; i++) {
      byte[] b = new byte[random.nextInt(3) == 0 ? random.nextInt(3000) : random.nextInt(40)];
      random.nextBytes(b);
      int off = b.length == 0 ? 0 : random.nextInt(b.length);
      out.write(b, off, b.length - off);
      expected.write(b, off, b.length - off);
      if (random.nextInt(50) == 0) {
        out.flush();
      }
    }
    out.flush();
    assertThat(socket.bytes.toByteArray()).isEqualTo(expected.toByteArray());
    assertThat(socket.sizes).allMatch(n -> n > 0);
  }
}
