package dev.coloha.agent.vm;

import dev.coloha.microvm.WasiLaunch;

/**
 * What a VM is made of.
 *
 * @param id VM id, unique on this agent
 * @param guest guest name
 * @param memoryBytes memory limit
 * @param diskBytes size of its virtual disk (0: no disk)
 * @param mirror the disk mirror volume behind the disk, or null for a local image file
 * @param launch a WASI guest's arguments and environment
 */
public record VmSpec(
    String id,
    String guest,
    long memoryBytes,
    long diskBytes,
    MirrorDisk mirror,
    WasiLaunch launch) {}
