package dev.coloha.proxy.group;

/** Per-group buffer limits, in bytes (defaults from {@code colo.proxy.limits}). */
public record GroupLimits(
    long heldPerConnection,
    long heldPerGroup,
    long retainedInputPerConnection,
    long retainedInputPerGroup,
    int maxConnections) {}
