package dev.coloha.proxy.group;

/**
 * Who is primary and who is secondary right now: one immutable pair, replaced as a whole, read
 * without locks.
 *
 * @param primary the primary's link
 * @param secondary the secondary's link, or null (one replica: unprotected or passthrough)
 */
record Roles(ReplicaLink primary, ReplicaLink secondary) {
  /** PRIMARY, SECONDARY, or null for a link that has no role any more. */
  String roleOf(ReplicaLink l) {
    return l == primary ? "PRIMARY" : l == secondary ? "SECONDARY" : null;
  }

  /** Whether {@code serial} is the secondary's link (a connection's input is fed to it). */
  boolean secondaryIs(long serial) {
    return secondary != null && secondary.serial == serial;
  }

  /** The most input bytes waiting for either replica. */
  long mostQueued() {
    return Math.max(primary == null ? 0 : primary.queued, secondary == null ? 0 : secondary.queued);
  }
}
