package dev.coloha.agent.vm;

/**
 * Command: create a VM. Null sizes take the configured defaults.
 *
 * @param id wanted id, or null to have one assigned
 * @param guest guest name
 * @param memoryBytes memory limit, or null
 * @param diskBytes disk size, or null; 0 for no disk
 * @param start start it at once
 */
public record CreateVm(String id, String guest, Long memoryBytes, Long diskBytes, boolean start) {}
