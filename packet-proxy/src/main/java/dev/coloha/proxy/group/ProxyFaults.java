package dev.coloha.proxy.group;

import dev.coloha.wire.testing.ArmedFaults;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named fault points of the proxy, armed only by tests ({@code colo.proxy.testing.faults}: {@code
 * stream-break@VM}, {@code commit@GROUP}; {@link ArmedFaults}). An armed point fires once, the
 * first time it is passed. Disarmed ({@link #NONE}) in normal operation.
 */
public final class ProxyFaults {
  /**
   * An output frame (guest output for a client) of the replica VM arrived: its output stream breaks
   * there, as if its agent had died, and the frame is lost with it.
   */
  public static final String STREAM_BREAK = "stream-break";

  /**
   * A commit of the group passed its checks and is about to be applied: it fails there (the
   * coordinator sees an error), as if the proxy had crashed in its middle.
   */
  public static final String COMMIT = "commit";

  /** Every point. */
  public static final Set<String> POINTS = Set.of(STREAM_BREAK, COMMIT);

  /** No point armed. */
  public static final ProxyFaults NONE = new ProxyFaults(ArmedFaults.NONE);

  private static final Logger log = LoggerFactory.getLogger(ProxyFaults.class);

  private final ArmedFaults armed;

  private ProxyFaults(ArmedFaults armed) {
    this.armed = armed;
  }

  /**
   * The points armed by {@code POINT@NAME} entries (none: {@link #NONE}).
   *
   * @throws IllegalArgumentException for an entry that names no point or nothing to arm it for
   */
  public static ProxyFaults of(List<String> entries) {
    ArmedFaults a = ArmedFaults.of("colo.proxy.testing.faults", POINTS, entries);
    return a == ArmedFaults.NONE ? NONE : new ProxyFaults(a);
  }

  /** Whether {@code point} is armed for {@code name} (it has not fired yet). */
  public boolean armed(String point, String name) {
    return armed.armed(point, name);
  }

  /**
   * {@code point} is passed for {@code name} (a VM, a group): if it is armed, it fires (once).
   *
   * @throws InjectedFault when it fires
   */
  void reached(String point, String name) {
    if (armed.fire(point, name)) {
      log.warn("fault injection: {} at {}", name, point);
      throw new InjectedFault(point, name);
    }
  }

  /** The proxy "failed" at a fault point. */
  public static final class InjectedFault extends RuntimeException {
    InjectedFault(String point, String name) {
      super("fault injected at " + point + " for " + name);
    }
  }
}
