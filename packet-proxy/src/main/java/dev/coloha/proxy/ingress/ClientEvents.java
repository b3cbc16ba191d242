package dev.coloha.proxy.ingress;

/** What a client connection tells its group. Called from the connection's own threads. */
public interface ClientEvents {
  /** Client bytes, in order, on the reader thread. */
  void input(ClientConnection c, byte[] bytes);

  /** The client closed its side (end of input). */
  void inputClosed(ClientConnection c);

  /** The connection is over: its socket is closed (by either side, or after an error). */
  void gone(ClientConnection c, String why);

  /** Time the reader spent waiting at a closed gate, in nanoseconds. */
  void pausedFor(ClientConnection c, long nanos);
}
