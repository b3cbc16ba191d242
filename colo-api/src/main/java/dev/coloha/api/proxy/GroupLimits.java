package dev.coloha.api.proxy;

/**
 * A group's buffer limits, in bytes, and its connections: its own ({@link GroupRequests.Limits}) or
 * the proxy's defaults ({@code colo.proxy.limits}); shown in its {@link GroupView}.
 */
public record GroupLimits(
    long heldPerConnection,
    long heldPerGroup,
    long retainedInputPerConnection,
    long retainedInputPerGroup,
    int maxConnections) {}
