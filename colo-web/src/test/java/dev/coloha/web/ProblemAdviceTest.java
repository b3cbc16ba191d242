package dev.coloha.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ProblemAdviceTest {

  /** Stands for Tomcat's exception of the same name (matched by name: no Tomcat dependency). */
  static final class ClientAbortException extends IOException {
    ClientAbortException(Throwable cause) {
      super(cause);
    }
  }

  @Test
  void aClientThatWentAwayIsNotAnError() {
    assertThat(ProblemAdvice.isClientGone(new ClientAbortException(new EOFException()))).isTrue();
    assertThat(ProblemAdvice.isClientGone(new IOException("Broken pipe"))).isTrue();
    assertThat(
            ProblemAdvice.isClientGone(new IOException("x", new IOException("Connection reset"))))
        .isTrue();
  }

  @Test
  void otherIoFailuresStillAre() {
    assertThat(ProblemAdvice.isClientGone(new IOException("No space left on device"))).isFalse();
  }
}
