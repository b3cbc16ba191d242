package dev.coloha.mirror.volume;

import dev.coloha.api.mirror.VolumeRole;

/**
 * A request for a new volume.
 *
 * @param id 1-63 of [a-z0-9-]
 * @param sizeBytes a positive multiple of 512
 * @param role PRIMARY (serves a VM, may forward to a secondary) or SECONDARY (resync target)
 * @param epoch the group's epoch
 */
public record CreateVolume(String id, long sizeBytes, VolumeRole role, long epoch) {}
