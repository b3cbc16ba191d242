package dev.coloha.coordinator.decision;

/**
 * Whose fault a failed checkpoint is, as the group package's {@code FailureAttribution} finds it
 * from who answered what (docs/coordinator.md, the fault matrix). Each cause has its own row.
 */
public enum Cause {
  /** The primary's agent did not answer: suspect it (probe), fail over if it is gone. */
  PRIMARY_AGENT,
  /** The primary's disk mirror failed the checkpoint's disk barrier: probe the mirrors. */
  PRIMARY_DISK,
  /** The primary answered that its secondary (agent, mirror or link) did not take it. */
  SECONDARY,
  /** The proxy answered that it does not know the group. */
  PROXY_WITHOUT_GROUP,
  /** The proxy did not answer, or failed with a 5xx. */
  PROXY_DOWN,
  /** Anything else: counted, nobody blamed at once. */
  UNKNOWN;

  /** Whether the proxy, not a replica, failed: the group needs the proxy again, nothing counted. */
  public boolean proxy() {
    return this == PROXY_WITHOUT_GROUP || this == PROXY_DOWN;
  }
}
