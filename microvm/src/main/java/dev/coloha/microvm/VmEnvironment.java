package dev.coloha.microvm;

import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.device.HostClock;
import dev.coloha.microvm.device.HostRandom;

/**
 * What the host gives one VM: its disk, clocks, random source and output sink, and a WASI guest's
 * arguments and environment.
 *
 * @param disk the virtual block device ({@link BlockDevice#NONE} for none)
 * @param clock this host's clocks
 * @param random this host's random source
 * @param sink where output goes
 * @param launch a WASI guest's arguments and environment
 */
public record VmEnvironment(
    BlockDevice disk, HostClock clock, HostRandom random, OutputSink sink, WasiLaunch launch) {

  public VmEnvironment(BlockDevice disk, HostClock clock, HostRandom random, OutputSink sink) {
    this(disk, clock, random, sink, WasiLaunch.none());
  }

  public static VmEnvironment of(BlockDevice disk, OutputSink sink) {
    return new VmEnvironment(disk, HostClock.SYSTEM, HostRandom.system(), sink);
  }

  public VmEnvironment withLaunch(WasiLaunch launch) {
    return new VmEnvironment(disk, clock, random, sink, launch);
  }
}
