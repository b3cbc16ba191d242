package dev.coloha.microvm;

import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.microvm.device.HostClock;
import dev.coloha.microvm.device.HostRandom;

/**
 * What the host gives one VM: its disk, clocks, random source and output sink.
 *
 * @param disk the virtual block device ({@link BlockDevice#NONE} for none)
 * @param clock this host's clocks
 * @param random this host's random source
 * @param sink where output goes
 */
public record VmEnvironment(BlockDevice disk, HostClock clock, HostRandom random, OutputSink sink) {
  public static VmEnvironment of(BlockDevice disk, OutputSink sink) {
    return new VmEnvironment(disk, HostClock.SYSTEM, HostRandom.system(), sink);
  }
}
