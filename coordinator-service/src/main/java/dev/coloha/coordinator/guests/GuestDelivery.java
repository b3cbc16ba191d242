package dev.coloha.coordinator.guests;

/**
 * Makes sure an agent has a guest before a VM of it is created there: for a guest in the library,
 * the agent must end up with the module of the library's hash.
 */
@FunctionalInterface
public interface GuestDelivery {
  /**
   * @throws GuestDeliveryException if the agent does not end up with the library's module
   */
  void deliver(String agentUrl, String guest);

  /** Whether this delivery brings the guest itself (a library guest): no agent needs to hold it. */
  default boolean holds(String guest) {
    return false;
  }

  /** The ABI label of a guest this delivery holds ({@code colo-v1}, {@code wasi-p1}), if known. */
  default java.util.Optional<String> abi(String guest) {
    return java.util.Optional.empty();
  }

  /** Nothing to deliver: agents use their bundled guests. */
  GuestDelivery NONE = (agentUrl, guest) -> {};
}
