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

  /** Nothing to deliver: agents use their bundled guests. */
  GuestDelivery NONE = (agentUrl, guest) -> {};
}
