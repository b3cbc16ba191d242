package dev.coloha.wire.frame;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class UncheckedFramesTest {
  private static byte[] payload(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (i * 11 + 3);
    }
    return b;
  }

  @Test
  void uncheckedFramesAreTheSameBytesAndKeepNoChecksum() throws IOException {
    ByteArrayOutputStream checkedBytes = new ByteArrayOutputStream();
    ByteArrayOutputStream uncheckedBytes = new ByteArrayOutputStream();
    FrameOutput checked = new FrameOutput(checkedBytes);
    FrameOutput unchecked = FrameOutput.unchecked(uncheckedBytes);
    for (FrameOutput out : new FrameOutput[] {checked, unchecked}) {
      out.frame(0x41, payload(700));
      out.begin(0x42, 10);
      out.body(payload(4), 0, 4);
      out.body(payload(6), 0, 6);
    }
    assertThat(uncheckedBytes.toByteArray()).isEqualTo(checkedBytes.toByteArray());
    assertThat(unchecked.bytesWritten()).isEqualTo(checked.bytesWritten());
    assertThat(checked.checksum()).isNotZero();
    assertThatThrownBy(unchecked::checksum).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(unchecked::resetChecksum).isInstanceOf(IllegalStateException.class);

    FrameInput in =
        FrameInput.unchecked(new ByteArrayInputStream(uncheckedBytes.toByteArray()), 1 << 20);
    FrameHead h = in.next();
    assertThat(h.type()).isEqualTo(0x41);
    assertThat(in.body(h)).isEqualTo(payload(700));
    h = in.next();
    assertThat(h.length()).isEqualTo(10);
    byte[] rest = in.body(h);
    assertThat(rest).startsWith(payload(4));
    assertThat(in.next()).isNull();
    assertThat(in.bytesRead()).isEqualTo(checked.bytesWritten());
    assertThatThrownBy(in::checksum).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(in::checksumBeforeHead).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(in::restartChecksumAtLastHead).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void anUncheckedReaderStillRefusesAFrameOverItsLimit() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    FrameOutput.unchecked(bytes).frame(0x41, payload(2000));
    FrameInput in = FrameInput.unchecked(new ByteArrayInputStream(bytes.toByteArray()), 1000);
    assertThatThrownBy(in::next).isInstanceOf(dev.coloha.wire.CorruptStreamException.class);
  }
}
