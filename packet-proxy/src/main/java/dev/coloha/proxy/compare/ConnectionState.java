package dev.coloha.proxy.compare;

/** Where one connection's output stands: what the comparator does with its next primary byte. */
enum ConnectionState {
  /**
   * Two replicas: the primary's bytes are compared with the secondary's, or released by commits.
   */
  COMPARED,
  /**
   * A mismatch in the held interval: the primary's bytes wait for the commit that covers it (other
   * connections go on).
   */
  HELD,
  /** One replica (passthrough, after a failover, or without a secondary): released uncompared. */
  SINGLE,
  /**
   * Two replicas, but the secondary cannot be trusted with this connection (its input since the
   * sync is gone): released uncompared, reset if a failover ever needs it.
   */
  UNPROTECTED,
  /** Over for the proxy (closed, reset or forgotten): nothing is held, later output is ignored. */
  FINISHED;

  /** Whether the primary's output goes to the client without comparison. */
  boolean uncompared() {
    return this == SINGLE || this == UNPROTECTED;
  }
}
