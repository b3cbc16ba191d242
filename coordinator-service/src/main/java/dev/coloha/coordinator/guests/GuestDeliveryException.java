package dev.coloha.coordinator.guests;

import dev.coloha.api.ErrorKind;
import dev.coloha.wire.ColoException;

/** An agent did not end up with the library's module (its hash differs, or it refused it). */
public final class GuestDeliveryException extends ColoException {
  public GuestDeliveryException(String message) {
    super(message);
  }

  @Override
  public ErrorKind kind() {
    return ErrorKind.GUEST_DELIVERY;
  }
}
