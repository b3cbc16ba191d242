package dev.coloha.proxy.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coloha.wire.io.IoFrame;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class InputRetentionTest {
  static IoFrame.Data d(long offset, String s) {
    return new IoFrame.Data(1, offset, s.getBytes(StandardCharsets.US_ASCII));
  }

  static String text(List<IoFrame.Data> frames) {
    StringBuilder sb = new StringBuilder();
    for (IoFrame.Data f : frames) {
      sb.append(new String(f.bytes(), StandardCharsets.US_ASCII));
    }
    return sb.toString();
  }

  @Test
  void keepsInputSinceTheLastCommitAndReplaysFromAnyOffset() {
    InputRetention r = new InputRetention(1);
    r.add(d(0, "SET a 1\r\n"));
    r.add(d(9, "GET a\r\n"));
    assertThat(r.bytes()).isEqualTo(16);
    assertThat(text(r.from(0))).isEqualTo("SET a 1\r\nGET a\r\n");
    assertThat(r.from(12).getFirst().offset()).isEqualTo(12);
    assertThat(text(r.from(12))).isEqualTo(" a\r\n");
    // a commit says the primary consumed 12 bytes
    assertThat(r.trim(12)).isEqualTo(12);
    assertThat(r.bytes()).isEqualTo(4);
    assertThat(r.start()).isEqualTo(12);
    assertThat(r.from(11)).isNull();
    assertThat(text(r.from(12))).isEqualTo(" a\r\n");
    assertThat(text(r.from(16))).isEmpty();
  }

  @Test
  void withOneReplicaItIsASlidingWindow() {
    InputRetention r = new InputRetention(1);
    r.add(d(0, "aaaa"));
    r.add(d(4, "bbbb"));
    r.add(d(8, "cccc"));
    assertThat(r.keepAtMost(5)).isEqualTo(8);
    assertThat(r.start()).isEqualTo(8);
    assertThat(text(r.from(8))).isEqualTo("cccc");
    assertThat(r.from(4)).isNull();
    assertThat(r.clear()).isEqualTo(4);
  }
}
