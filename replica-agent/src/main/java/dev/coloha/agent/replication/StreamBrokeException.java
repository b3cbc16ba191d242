package dev.coloha.agent.replication;

import java.io.IOException;

/** A checkpoint's stream broke (not a timeout, not a refusal); {@code failure} is its error. */
final class StreamBrokeException extends RuntimeException {
  private final RuntimeException failure;

  StreamBrokeException(IOException cause, RuntimeException failure) {
    super(cause.getMessage(), cause, false, false);
    this.failure = failure;
  }

  /** The error the checkpoint fails with if it is not tried again. */
  RuntimeException failure() {
    return failure;
  }
}
