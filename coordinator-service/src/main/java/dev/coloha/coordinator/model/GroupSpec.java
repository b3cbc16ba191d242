package dev.coloha.coordinator.model;

/**
 * What a portal asked for.
 *
 * @param id group id
 * @param guest guest name (kv, http, or an uploaded one)
 * @param memoryBytes memory limit of each replica
 * @param diskBytes virtual disk of each replica (0: none)
 * @param port the proxy's TCP port for the service
 * @param bindAddress the proxy's bind address for the service
 */
public record GroupSpec(
    String id, String guest, long memoryBytes, long diskBytes, int port, String bindAddress) {}
