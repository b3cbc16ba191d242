package dev.coloha.proxy.ingress;

/**
 * What a client connection tells its group. Input, end of input and pauses come from the group's
 * {@link ClientLoop}; {@link #gone} from whichever thread ended the connection.
 */
public interface ClientEvents {
  /**
   * Client bytes, in order, on the group's client loop: queued for the agents, written at the end
   * of the loop's round ({@link #readsDone()}).
   */
  void input(ClientConnection c, byte[] bytes);

  /**
   * The client loop read every ready client once: the input queued in this round goes to the agents
   * now, all clients' frames in one write per stream.
   */
  void readsDone();

  /** The client closed its side (end of input). */
  void inputClosed(ClientConnection c);

  /** The connection is over: its socket is closed (by either side, or after an error). */
  void gone(ClientConnection c, String why);

  /** Time the reader spent waiting at a closed gate, in nanoseconds. */
  void pausedFor(ClientConnection c, long nanos);
}
