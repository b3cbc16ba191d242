package dev.coloha.coordinator.guests;

/**
 * A guest in the coordinator's library.
 *
 * @param name the name groups use
 * @param hash SHA-256 (hex) of the module that runs (for a WASI guest: the instrumented one)
 * @param abi {@code colo-v1} or {@code wasi-p1}
 * @param size bytes of that module
 */
public record LibraryGuest(String name, String hash, String abi, long size) {}
