package dev.coloha.proxy.compare;

/**
 * What the comparator does to the outside world. Called with the group's lock held: every method
 * must return at once (queue, signal, count), never block.
 */
public interface OutputEffects {
  /** Send {@code bytes} to the client of {@code conn}; calls come in stream order. */
  void release(int conn, Chunk bytes);

  /** Everything up to the guest's close has been released: close the client's socket. */
  void closeClient(int conn);

  /** The connection cannot go on without a gap or a duplicate byte: reset the client. */
  void resetClient(int conn, String reason);

  /** The outputs diverged (or a timeout passed): report it and ask for a checkpoint. */
  void mismatch(Mismatch mismatch);

  /**
   * Held bytes of one connection ({@code conn >= 0}) or of the whole group ({@code conn == -1})
   * went over their limit ({@code over}) or back under it.
   */
  void pressure(int conn, boolean over, long bytes);

  /**
   * The group's buffered bytes (primary held plus secondary kept) after a frame or a command that
   * may have changed them, in the order of the changes.
   */
  void buffered(long bytes);
}
