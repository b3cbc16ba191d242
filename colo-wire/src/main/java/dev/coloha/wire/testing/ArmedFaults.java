package dev.coloha.wire.testing;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fault points armed by tests, each for one name (a VM, a group): the {@code POINT@NAME} entries of
 * a service's {@code testing} setting. An armed point fires once, the first time the code passes it
 * for that name. In normal operation nothing is armed ({@link #NONE}) and passing a point costs a
 * look at an empty set. The services name their points (the agent's {@code LinkFaults}, the proxy's
 * {@code ProxyFaults}) and decide what firing means there.
 */
public final class ArmedFaults {
  /** Nothing armed. */
  public static final ArmedFaults NONE = new ArmedFaults(Set.of());

  private final Set<String> armed = ConcurrentHashMap.newKeySet();

  private ArmedFaults(Set<String> entries) {
    armed.addAll(entries);
  }

  /**
   * The points armed by {@code entries} ({@code POINT@NAME}, POINT one of {@code points}).
   *
   * @param setting the setting the entries come from, for the message of a wrong one
   * @throws IllegalArgumentException for an entry that names no known point or nothing to arm it
   *     for
   */
  public static ArmedFaults of(String setting, Set<String> points, List<String> entries) {
    if (entries == null || entries.isEmpty()) {
      return NONE;
    }
    for (String e : entries) {
      int at = e.indexOf('@');
      if (at <= 0 || at == e.length() - 1 || !points.contains(e.substring(0, at))) {
        throw new IllegalArgumentException(
            setting + ": '" + e + "' is not POINT@NAME, POINT one of " + points);
      }
    }
    return new ArmedFaults(Set.copyOf(entries));
  }

  /** Whether {@code point} is armed for {@code name} (it has not fired yet). */
  public boolean armed(String point, String name) {
    return armed.contains(point + "@" + name);
  }

  /** True once, when the code passes {@code point} for {@code name} while it is armed. */
  public boolean fire(String point, String name) {
    return !armed.isEmpty() && armed.remove(point + "@" + name);
  }
}
