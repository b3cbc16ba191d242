package dev.coloha.microvm.conn;

/** Client input for a VM, in per-connection order. */
public sealed interface InputEvent {
  int conn();

  /** A client connected. */
  record Open(int conn) implements InputEvent {}

  /** Client bytes at stream offset {@code offset} (contiguous with what came before). */
  record Data(int conn, long offset, byte[] bytes) implements InputEvent {}

  /** The client closed; its input ended at {@code endOffset}. */
  record Close(int conn, long endOffset) implements InputEvent {}
}
