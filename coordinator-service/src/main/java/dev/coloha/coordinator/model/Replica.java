package dev.coloha.coordinator.model;

/**
 * One replica of a group.
 *
 * @param host host name
 * @param agentUrl its replica agent
 * @param mirrorUrl its disk mirror (null when the group has no disk)
 * @param vm VM id on the agent
 * @param volume volume id on the mirror (null when the group has no disk)
 */
public record Replica(String host, String agentUrl, String mirrorUrl, String vm, String volume) {}
