package dev.coloha.microvm.conn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class InputJournalTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static String s(byte[] b) {
    return new String(b, StandardCharsets.US_ASCII);
  }

  @Test
  void readsAcrossChunkBoundaries() {
    InputJournal j = new InputJournal(0);
    j.append(b("hel"));
    j.append(b("lo "));
    j.append(b("world"));
    assertThat(j.end()).isEqualTo(11);
    assertThat(s(j.read(0, 100))).isEqualTo("hello world");
    assertThat(s(j.read(2, 5))).isEqualTo("llo w");
    assertThat(s(j.read(11, 5))).isEmpty();
  }

  @Test
  void trimDropsWholeChunksAndRefusesRewindBeforeTheStart() {
    InputJournal j = new InputJournal(0);
    for (int i = 0; i < 200; i++) {
      j.append(b("0123456789"));
    }
    j.trim(1005);
    assertThat(j.start()).isEqualTo(1005);
    assertThat(s(j.read(1005, 7))).isEqualTo("5678901");
    assertThatThrownBy(() -> j.read(1000, 1)).isInstanceOf(IllegalArgumentException.class);
    j.trim(2000);
    assertThat(j.size()).isZero();
    j.append(b("x"));
    assertThat(s(j.read(2000, 1))).isEqualTo("x");
  }

  @Test
  void resetRestartsAtAnOffset() {
    InputJournal j = new InputJournal(0);
    j.append(b("abc"));
    j.reset(50);
    assertThat(j.start()).isEqualTo(50);
    assertThat(j.end()).isEqualTo(50);
    j.append(b("de"));
    assertThat(s(j.read(50, 10))).isEqualTo("de");
  }
}
