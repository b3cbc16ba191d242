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
 *
 * <p>An apply may leave the cache's copy of a delta's pages for later ({@link #finishCache}): the
 * VM has them, the cache is only read by the next apply, so that copy need not be inside the VM's
 * pause nor before the acknowledgement. The next apply finishes it first in any case.
 */
final class CheckpointRestore {
  private final GuestModule guest;
  private MemoryCache cache;

  /** A delta applied to the VM whose pages are not in the cache yet, or null. */
  private Checkpoint cacheOwed;

  CheckpointRestore(GuestModule guest) {
    this.guest = guest;
  }

  /**
   * Copies the pages of the last applied delta into the cache if an apply left that for later. The
   * checkpoint's page buffer must not be reused before. Any thread.
   */
  synchronized void finishCache() {
    if (cacheOwed != null) {
      cache.update(cacheOwed);
      cacheOwed = null;
    }
  }

  /**
   * Applies {@code cp}. With {@code deferCache} a delta's pages go into the VM only, and into the
   * cache at {@link #finishCache} (which the caller owes before it reuses the page buffer).
   */
  synchronized void apply(
      Checkpoint cp,
      TrackedMemory memory,
      Instance instance,
      GuestDevices devices,
      GuestDriver driver,
      boolean deferCache) {
    finishCache();
    check(cp, memory);
    driver.checkState(cp.device().guestState());
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
      cache.resize(cp.header().memoryPages());
      // pages the secondary changed on its own go back to the primary's version: the cache holds
      // it for every page the checkpoint does not carry, and those it carries are written next
      for (int p : memory.dirtyPages()) {
        cache.restore(p, memory);
      }
      if (deferCache) {
        MemoryCache.restore(cp, memory); // the checkpoint's pages, into memory only (for now)
        cacheOwed = cp;
      } else {
        cache.updateAndRestore(cp, memory); // the checkpoint's pages, into cache and memory
      }
    }
    memory.clearDirty();
    for (GlobalValue g : cp.globals()) {
      GlobalInstance gi = instance.global(g.index());
      gi.setValueLow(g.low());
      gi.setValueHigh(g.high());
    }
    java.util.Set<Integer> before = new java.util.HashSet<>();
    devices.connections().all().forEach(c -> before.add(c.id()));
    devices.connections().reposition(cp.device().connections(), cp.device().closedConnections());
    // the output sink's input accounting (flow control of the input stream) follows: a connection
    // the primary had finished is gone here without the guest ever closing it, and the others
    // consumed what the primary consumed. Left unaccounted, a removed connection's unread input
    // would count as outstanding forever, and enough of it closes the input stream for good
    for (var c : devices.connections().all()) {
      before.remove(c.id());
      devices.sink().consumed(c.id(), c.consumed());
    }
    before.forEach(devices.sink()::ended);
    devices.timers().restore(cp.device().timers(), devices.clock().monotonicNanos());
    driver.applyState(cp.device().guestState());
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
