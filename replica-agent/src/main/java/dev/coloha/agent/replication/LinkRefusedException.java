package dev.coloha.agent.replication;

import java.io.IOException;

/** The secondary agent refused the stream (HTTP status and problem text). */
final class LinkRefusedException extends IOException {
  private final int status;

  LinkRefusedException(int status, String body) {
    super("HTTP " + status + " " + body);
    this.status = status;
  }

  int status() {
    return status;
  }
}
