package dev.coloha.microvm;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import dev.coloha.microvm.guest.GuestAbi;
import dev.coloha.microvm.memory.TrackedMemory;

/** A guest of ABI v1: event callbacks delivered by {@link GuestEvents}. VM thread only. */
final class ColoGuest implements GuestDriver {
  private final String vmId;
  private final GuestDevices devices;
  private final GuestEvents events;
  private Instance instance;

  ColoGuest(String vmId, GuestDevices devices, GuestEvents events) {
    this.vmId = vmId;
    this.devices = devices;
    this.events = events;
  }

  @Override
  public ImportValues imports() {
    return devices.imports();
  }

  @Override
  public void bind(Instance instance, TrackedMemory memory) {
    this.instance = instance;
    events.bind(instance, memory);
  }

  @Override
  public void boot() {
    events.call("_initialize", instance.export(GuestAbi.INITIALIZE));
    if (events.trapped()) {
      return;
    }
    long[] r = events.call(GuestAbi.INIT, instance.export(GuestAbi.INIT));
    if (!events.trapped() && r != null && r.length > 0 && r[0] != 0) {
      throw new GuestBootException(
          "guest of VM " + vmId + " failed to boot: colo_init returned " + r[0]);
    }
  }

  @Override
  public boolean dispatchOne() {
    return events.dispatchOne();
  }

  @Override
  public boolean hasInput() {
    return devices.connections().hasWork();
  }

  @Override
  public long nanosUntilTimer() {
    return devices.timers().untilNext(devices.clock().monotonicNanos());
  }

  @Override
  public boolean trapped() {
    return events.trapped();
  }

  @Override
  public void healed() {
    events.healed();
  }

  @Override
  public long events() {
    return events.events();
  }

  @Override
  public long guestNanos() {
    return events.guestNanos();
  }

  @Override
  public byte[] captureState() {
    return new byte[0];
  }

  @Override
  public void checkState(byte[] state) {
    if (state.length != 0) {
      throw new CheckpointMismatchException(
          "checkpoint carries WASI guest state; this VM runs a guest of ABI v1");
    }
  }

  @Override
  public void applyState(byte[] state) {
    // ABI v1 keeps nothing beyond connections and timers
  }
}
