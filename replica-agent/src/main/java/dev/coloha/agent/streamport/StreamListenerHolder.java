package dev.coloha.agent.streamport;

import java.util.OptionalInt;

/** The checkpoint-stream listener if the agent runs one (a bean that may hold none). */
public record StreamListenerHolder(CheckpointStreamListener listener) implements AutoCloseable {

  /** The listener's port, empty when checkpoint streams go through the HTTP server only. */
  public OptionalInt port() {
    return listener == null ? OptionalInt.empty() : OptionalInt.of(listener.port());
  }

  @Override
  public void close() {
    if (listener != null) {
      listener.close();
    }
  }
}
