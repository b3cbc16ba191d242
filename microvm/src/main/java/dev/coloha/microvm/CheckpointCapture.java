package dev.coloha.microvm;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import dev.coloha.microvm.checkpoint.CaptureKind;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.microvm.memory.PageCopier;
import dev.coloha.microvm.memory.TrackedMemory;
import dev.coloha.wire.checkpoint.Checkpoint;
import dev.coloha.wire.checkpoint.CheckpointHeader;
import dev.coloha.wire.checkpoint.DeviceState;
import dev.coloha.wire.checkpoint.GlobalValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Captures a VM's state at an event boundary: dirty (or all) pages, mutable globals, device state.
 * Runs on the VM's thread; the time it takes is the VM's pause. Keeps the chain of sequence numbers
 * so that each delta names its base.
 */
final class CheckpointCapture {
  private final GuestModule guest;
  private long lastSequence = -1;

  /** A page buffer handed back by a released capture, reused by the next one. */
  private final AtomicReference<byte[]> spare = new AtomicReference<>();

  CheckpointCapture(GuestModule guest) {
    this.guest = guest;
  }

  long lastSequence() {
    return lastSequence;
  }

  /** A secondary that applied {@code sequence} continues the chain from there if promoted. */
  void appliedSequence(long sequence) {
    lastSequence = sequence;
  }

  Captured capture(
      TrackedMemory memory,
      Instance instance,
      GuestDevices devices,
      GuestDriver driver,
      long epoch,
      long sequence,
      CaptureKind kind,
      boolean digest) {
    if (sequence <= lastSequence) {
      throw new CheckpointMismatchException(
          "checkpoint " + sequence + " is not after the last one, " + lastSequence);
    }
    long t0 = System.nanoTime();
    boolean whole = kind == CaptureKind.FULL || (kind == CaptureKind.DELTA && lastSequence < 0);
    try {
      devices.disk().barrier(sequence);
    } catch (IOException e) {
      throw new UncheckedIOException("disk barrier " + sequence + " failed", e);
    }
    int[] pages = whole ? allPages(memory.trackPages()) : memory.dirtyPages();
    byte[] data = buffer(Math.multiplyExact(pages.length, Checkpoint.PAGE_SIZE));
    PageCopier.shared()
        .forEachSlice(
            pages.length,
            (from, to) -> {
              for (int i = from; i < to; i++) {
                memory.readPage(pages[i], data, i * Checkpoint.PAGE_SIZE);
              }
            });
    long copyNanos = System.nanoTime() - t0;
    memory.clearDirty();
    List<GlobalValue> globals = globals(instance);
    long now = devices.clock().monotonicNanos();
    var table = devices.connections();
    DeviceState device =
        new DeviceState(
            sequence,
            sequence,
            table.snapshot(),
            table.takeTombstones(),
            devices.timers().snapshot(now),
            driver.captureState());
    CheckpointHeader header =
        new CheckpointHeader(
            guest.name(),
            guest.sha256(),
            epoch,
            sequence,
            whole
                ? CheckpointHeader.NO_BASE
                : kind == CaptureKind.PRECOPY_FINAL ? CheckpointHeader.PRECOPY_BASE : lastSequence,
            memory.pages(),
            pages.length);
    devices.interval(sequence + 1);
    lastSequence = sequence;
    Checkpoint cp = new Checkpoint(header, pages, data, globals, device);
    long pause = System.nanoTime() - t0;
    byte[] sha = digest ? memory.digest() : new byte[0];
    return new Captured(cp, pause, copyNanos, sha, this::giveBack);
  }

  private byte[] buffer(int bytes) {
    byte[] b = spare.getAndSet(null);
    return b != null && b.length >= bytes ? b : new byte[bytes];
  }

  private void giveBack(byte[] buffer) {
    spare.accumulateAndGet(
        buffer, (old, offered) -> old == null || offered.length > old.length ? offered : old);
  }

  /**
   * Undoes the bookkeeping of a capture that never reached the secondary: its pages are dirty again
   * and its tombstones are reported again, so the next capture carries them.
   */
  void rollback(Checkpoint failed, TrackedMemory memory, GuestDevices devices) {
    if (failed.header().sequence() != lastSequence) {
      return; // a later capture already happened; it was taken relative to this one
    }
    for (int p : failed.pageIndices()) {
      if (p < memory.trackPages()) {
        memory.markDirty(p);
      }
    }
    devices.connections().restoreTombstones(failed.device().closedConnections());
    lastSequence = failed.header().baseSequence() < 0 ? -1 : failed.header().baseSequence();
  }

  private List<GlobalValue> globals(Instance instance) {
    List<GlobalValue> out = new ArrayList<>(guest.mutableGlobals().size());
    for (GuestModule.MutableGlobal g : guest.mutableGlobals()) {
      GlobalInstance gi = instance.global(g.index());
      out.add(new GlobalValue(g.index(), g.typeCode(), gi.getValueLow(), gi.getValueHigh()));
    }
    return out;
  }

  private static int[] allPages(int n) {
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    return all;
  }
}
