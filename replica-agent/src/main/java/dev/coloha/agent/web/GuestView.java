package dev.coloha.agent.web;

import dev.coloha.microvm.guest.GuestModule;

/**
 * A guest as the API shows it.
 *
 * @param name catalogue name
 * @param sha256 module hash
 * @param sizeBytes module size
 * @param abiVersion declared guest ABI version (0 for a WASI guest)
 * @param initialMemoryPages initial memory in 64 KiB pages
 * @param abi the interface the guest is written against: {@code colo-v1} or {@code wasi-p1}
 */
public record GuestView(
    String name, String sha256, int sizeBytes, int abiVersion, int initialMemoryPages, String abi) {
  static GuestView of(GuestModule m) {
    return new GuestView(
        m.name(),
        m.sha256Hex(),
        m.sizeBytes(),
        m.abiVersion(),
        m.declaredInitialPages(),
        m.abi().label());
  }
}
