package dev.coloha.wire.io;

/**
 * Frames of a VM's input stream (proxy to agent) and output stream (agent to proxy). See
 * docs/protocol.md. Every output frame carries the epoch and interval it belongs to, and every byte
 * its offset in its connection's stream.
 */
public sealed interface IoFrame {

  /** A client connected (input). */
  record Open(int conn) implements IoFrame {}

  /** Client bytes at {@code offset} of the connection's input stream (input). */
  record Data(int conn, long offset, byte[] bytes) implements IoFrame {}

  /** The client closed after {@code endOffset} input bytes (input). */
  record Close(int conn, long endOffset) implements IoFrame {}

  /** Guest output at {@code offset} of the connection's output stream (output). */
  record Output(long epoch, long interval, int conn, long offset, byte[] bytes)
      implements IoFrame {}

  /** The guest closed the connection after {@code endOffset} output bytes (output). */
  record Closed(long epoch, long interval, int conn, long endOffset) implements IoFrame {}

  /** From here on the stream belongs to interval {@code interval} (output). */
  record Interval(long epoch, long interval) implements IoFrame {}

  /** The guest trapped; no more output will come (output). */
  record Crashed(long epoch, String reason) implements IoFrame {}

  /** Keeps an idle stream alive and proves the sender lives (both). */
  record Heartbeat(long epoch, long interval) implements IoFrame {}

  /** A typed error; the stream ends after it (both). */
  record Error(String type, String message) implements IoFrame {}

  /** Clean end of stream (both). */
  record End() implements IoFrame {}
}
