package dev.coloha.microvm;

/**
 * Where a VM's output goes. Called between two guest events, in order, by the VM's thread or by a
 * thread that holds the idle VM for a checkpoint (never two at once); must not block for long.
 * Every chunk is tagged with its interval and its byte offset in the connection's output stream.
 */
public interface OutputSink {
  /** The guest sent {@code bytes} on {@code conn}, starting at output offset {@code offset}. */
  void output(int conn, long interval, long offset, byte[] bytes);

  /** The guest closed {@code conn} after {@code endOffset} output bytes. */
  void closed(int conn, long interval, long endOffset);

  /** The guest has consumed {@code conn}'s input up to {@code offset} (flow-control credit). */
  default void consumed(int conn, long offset) {}

  /** The guest has been told that the client closed {@code conn}: no more output will come. */
  default void ended(int conn) {}

  /**
   * Output from now on belongs to {@code interval} (a checkpoint was captured or applied). Called
   * inside a checkpoint's pause: a sink may defer waking its reader until {@link #settle()}.
   */
  default void interval(long interval) {}

  /**
   * The checkpoint's pause is over, or the VM thread ended a burst of events (at most {@code
   * VmThread.OUTPUT_WAKE_EVENTS} back to back) or ran out of them: deliver what {@link #interval}
   * or output queued by the VM thread deferred. VM thread only.
   */
  default void settle() {}

  /** The guest trapped; the VM receives no further events. */
  default void crashed(GuestTrapException cause) {}

  OutputSink DISCARD =
      new OutputSink() {
        @Override
        public void output(int conn, long interval, long offset, byte[] bytes) {}

        @Override
        public void closed(int conn, long interval, long endOffset) {}
      };
}
