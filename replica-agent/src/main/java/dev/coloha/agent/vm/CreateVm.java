package dev.coloha.agent.vm;

import dev.coloha.microvm.WasiLaunch;

/**
 * Command: create a VM. Null sizes take the configured defaults.
 *
 * @param id wanted id, or null to have one assigned
 * @param guest guest name
 * @param memoryBytes memory limit, or null
 * @param diskBytes disk size, or null; 0 for no disk
 * @param start start it at once
 * @param mirror when set, the disk is this volume on a disk mirror (its size is the volume's)
 * @param launch a WASI guest's arguments and environment
 */
public record CreateVm(
    String id,
    String guest,
    Long memoryBytes,
    Long diskBytes,
    boolean start,
    MirrorDisk mirror,
    WasiLaunch launch) {
  public CreateVm {
    launch = launch == null ? WasiLaunch.none() : launch;
  }

  public CreateVm(
      String id, String guest, Long memoryBytes, Long diskBytes, boolean start, MirrorDisk mirror) {
    this(id, guest, memoryBytes, diskBytes, start, mirror, WasiLaunch.none());
  }

  public CreateVm(String id, String guest, Long memoryBytes, Long diskBytes, boolean start) {
    this(id, guest, memoryBytes, diskBytes, start, null);
  }
}
