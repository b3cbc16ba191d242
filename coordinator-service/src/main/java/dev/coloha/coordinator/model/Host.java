package dev.coloha.coordinator.model;

import java.time.Instant;

/**
 * A machine with a replica agent and (usually) a disk mirror.
 *
 * @param name host name
 * @param agentUrl its agent, or null until the agent registered
 * @param mirrorUrl its mirror, or null
 * @param lastAgentBeat last heartbeat of the agent
 * @param lastMirrorBeat last heartbeat of the mirror
 * @param lost declared lost (by failure detection or through the API) until it heartbeats again
 */
public record Host(
    String name,
    String agentUrl,
    String mirrorUrl,
    Instant lastAgentBeat,
    Instant lastMirrorBeat,
    boolean lost) {}
