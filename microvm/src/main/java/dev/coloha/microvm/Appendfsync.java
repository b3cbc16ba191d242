package dev.coloha.microvm;

import java.util.Locale;

/**
 * When the kv guest flushes its log (Redis's {@code appendfsync}; docs/guest-abi.md "kv:
 * appendfsync"), as a group chooses it. A VM gets it as {@link #ENV} in its environment, which the
 * guest reads at boot ({@code colo_env_get}, or {@code getenv} in a WASI build); a policy logged by
 * {@code CONFIG SET appendfsync} overrides it.
 */
public enum Appendfsync {
  /** A flush before the replies of each batch are sent. */
  ALWAYS,
  /** A flush at most a second after a write. The default. */
  EVERYSEC,
  /** Never a flush asked by the guest. */
  NO;

  /** The environment variable that carries the policy to the guest. */
  public static final String ENV = "COLO_APPENDFSYNC";

  /** The name in the API and in the guest ({@code always}, {@code everysec}, {@code no}). */
  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * @param name an API name, or null for the default
   * @throws IllegalArgumentException naming {@code appendfsync} if {@code name} is not a policy
   */
  public static Appendfsync ofApiName(String name) {
    if (name == null) {
      return EVERYSEC;
    }
    for (Appendfsync a : values()) {
      if (a.apiName().equals(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException(
        "appendfsync: '" + name + "' is not a policy (always, everysec or no)");
  }
}
