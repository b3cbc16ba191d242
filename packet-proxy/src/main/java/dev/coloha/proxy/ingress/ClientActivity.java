package dev.coloha.proxy.ingress;

/**
 * What the proxy's own client timeouts read of a connection (times are System.nanoTime), and how
 * they end it.
 */
public interface ClientActivity {
  int id();

  /** Whether the connection is over for the proxy. */
  boolean over();

  /** Whether the client has received the first byte of a reply. */
  boolean answered();

  /** When the proxy accepted the connection. */
  long acceptedAt();

  /** When a byte was last read from the client, or written or queued to it. */
  long lastActivityAt();

  /** Whether the client closed its side. */
  boolean inputClosed();

  long inputClosedAt();

  long lastOutputAt();

  /** Bytes queued for the client and not yet written. */
  long unsent();

  /** The connection's own gate (closed while the proxy itself pauses its input). */
  Gate gate();

  /** Closes the connection; the group hears of it once. */
  void finish(String why);
}
