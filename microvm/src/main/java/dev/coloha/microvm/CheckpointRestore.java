package dev.coloha.microvm;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.Instance;
import dev.coloha.microvm.checkpoint.MemoryCache;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.microvm.memory.TrackedMemory;
import dev.coloha.wire.checkpoint.Checkpoint;
import dev.coloha.wire.checkpoint.GlobalValue;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Applies a checkpoint to a VM, whole or not at all. Every check runs before the first change; the
 * changes themselves cannot fail. Keeps the secondary's {@link MemoryCache}.
 */
final class CheckpointRestore {
  private final GuestModule guest;
  private MemoryCache cache;

  CheckpointRestore(GuestModule guest) {
    this.guest = guest;
  }

  /** Sequence of the last applied checkpoint, or -1. */
  long appliedSequence() {
    return cache == null ? -1 : cache.sequence();
  }

  MemoryCache cache() {
    return cache;
  }

  void apply(Checkpoint cp, TrackedMemory memory, Instance instance, GuestDevices devices) {
    check(cp, memory);
    devices
        .connections()
        .checkReposition(cp.device().connections(), cp.device().closedConnections());
    try {
      // the disk first: if its barrier cannot commit, nothing has changed yet
      devices.disk().commitCheckpoint(cp.header().sequence());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(
          "disk barrier " + cp.header().sequence() + " did not commit; checkpoint not applied", e);
    }
    memory.resize(cp.header().memoryPages());
    if (cp.header().full()) {
      cache = MemoryCache.of(cp);
      cache.restoreAll(memory);
    } else {
      cache.updateAndRestore(cp, memory); // the checkpoint's pages, into cache and memory
      for (int p : memory.dirtyPages()) {
        cache.restore(p, memory); // pages the secondary changed on its own go back too
      }
    }
    memory.clearDirty();
    for (GlobalValue g : cp.globals()) {
      GlobalInstance gi = instance.global(g.index());
      gi.setValueLow(g.low());
      gi.setValueHigh(g.high());
    }
    devices.connections().reposition(cp.device().connections(), cp.device().closedConnections());
    devices.timers().restore(cp.device().timers(), devices.clock().monotonicNanos());
    devices.interval(cp.device().interval() + 1);
  }

  private void check(Checkpoint cp, TrackedMemory memory) {
    var h = cp.header();
    if (!Arrays.equals(h.moduleHash(), guest.sha256())) {
      throw new CheckpointMismatchException(
          "checkpoint "
              + h.sequence()
              + " is of guest '"
              + h.guest()
              + "' ("
              + HexFormat.of().formatHex(h.moduleHash()).substring(0, 12)
              + "), this VM runs '"
              + guest.name()
              + "' ("
              + guest.sha256Hex().substring(0, 12)
              + ")");
    }
    if (!h.full()) {
      if (cache == null) {
        throw new CheckpointMismatchException(
            "checkpoint "
                + h.sequence()
                + " is a delta of "
                + h.baseSequence()
                + ", but this VM has applied no full checkpoint");
      }
      if (cache.sequence() != h.baseSequence()) {
        throw new CheckpointMismatchException(
            "checkpoint "
                + h.sequence()
                + " is a delta of "
                + h.baseSequence()
                + ", but this VM last applied "
                + cache.sequence());
      }
      if (h.sequence() <= cache.sequence()) {
        throw new CheckpointMismatchException(
            "checkpoint " + h.sequence() + " is not after " + cache.sequence());
      }
    }
    if (h.memoryPages() > memory.maximumPages()) {
      throw new CheckpointMismatchException(
          "checkpoint "
              + h.sequence()
              + " has "
              + h.memoryPages()
              + " memory pages; this VM's limit is "
              + memory.maximumPages());
    }
    List<GuestModule.MutableGlobal> expected = guest.mutableGlobals();
    if (cp.globals().size() != expected.size()) {
      throw new CheckpointMismatchException(
          "checkpoint carries " + cp.globals().size() + " globals, guest has " + expected.size());
    }
    for (int i = 0; i < expected.size(); i++) {
      GlobalValue g = cp.globals().get(i);
      if (g.index() != expected.get(i).index() || g.type() != expected.get(i).typeCode()) {
        throw new CheckpointMismatchException(
            "checkpoint global " + g.index() + " does not match the guest");
      }
    }
  }
}
