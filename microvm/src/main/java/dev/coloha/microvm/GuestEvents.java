package dev.coloha.microvm;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import dev.coloha.microvm.conn.ConnectionTable;
import dev.coloha.microvm.conn.GuestConnection;
import dev.coloha.microvm.guest.GuestAbi;
import dev.coloha.microvm.memory.TrackedMemory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to the guest through its exports, one at a time: due timers first, then one step
 * of the next runnable connection (open, a chunk of data, or close). A trap in the guest is
 * reported once and counted; nothing is delivered after it. VM thread only.
 */
final class GuestEvents {
  private static final Logger log = LoggerFactory.getLogger(GuestEvents.class);

  private final String vmId;
  private final VmConfig config;
  private final GuestDevices devices;
  private final Consumer<GuestTrapException> onTrap;
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong guestNanos = new AtomicLong();
  private TrackedMemory memory;
  private ExportFunction alloc;
  private ExportFunction onOpen;
  private ExportFunction onData;
  private ExportFunction onClose;
  private ExportFunction onTimer;
  private volatile boolean trapped;

  GuestEvents(
      String vmId, VmConfig config, GuestDevices devices, Consumer<GuestTrapException> onTrap) {
    this.vmId = vmId;
    this.config = config;
    this.devices = devices;
    this.onTrap = onTrap;
  }

  /** Binds the guest's exports (after instantiation). */
  void bind(Instance instance, TrackedMemory memory) {
    this.memory = memory;
    alloc = instance.export(GuestAbi.ALLOC);
    onOpen = instance.export(GuestAbi.ON_OPEN);
    onData = instance.export(GuestAbi.ON_DATA);
    onClose = instance.export(GuestAbi.ON_CLOSE);
    onTimer = instance.export(GuestAbi.ON_TIMER);
  }

  long events() {
    return events.get();
  }

  long guestNanos() {
    return guestNanos.get();
  }

  boolean trapped() {
    return trapped;
  }

  /** A checkpoint healed a trapped guest: deliver again. */
  void healed() {
    trapped = false;
  }

  /** Delivers one event; false if there was nothing to do. */
  boolean dispatchOne() {
    int timer = devices.timers().popDue(devices.clock().monotonicNanos());
    if (timer >= 0) {
      call(GuestAbi.ON_TIMER, onTimer, timer);
      return true;
    }
    ConnectionTable table = devices.connections();
    GuestConnection c = table.next();
    if (c == null) {
      return false;
    }
    int conn = c.id();
    if (!c.opened()) {
      table.opening(c);
      call(GuestAbi.ON_OPEN, onOpen, conn);
    } else if (table.pending(c) > 0 && !c.inputHeld()) {
      deliverData(table, c);
    } else {
      table.closing(c);
      call(GuestAbi.ON_CLOSE, onClose, conn);
      devices.sink().ended(conn);
    }
    table.done(c);
    return true;
  }

  private void deliverData(ConnectionTable table, GuestConnection c) {
    byte[] bytes = table.take(c, config.maxDataChunk());
    long[] r = call(GuestAbi.ALLOC, alloc, bytes.length);
    if (r == null) {
      return;
    }
    int ptr = (int) r[0];
    if (ptr == 0) {
      // out of guest memory: the connection cannot continue, tell the guest it is gone
      log.warn(
          "VM {} connection {}: guest could not allocate {} input bytes; closing it",
          vmId,
          c.id(),
          bytes.length);
      table.abandon(c);
      call(GuestAbi.ON_CLOSE, onClose, c.id());
      devices.sink().closed(c.id(), devices.interval(), c.produced());
      return;
    }
    memory.write(ptr, bytes, 0, bytes.length);
    call(GuestAbi.ON_DATA, onData, c.id(), ptr, bytes.length);
    devices.sink().consumed(c.id(), c.consumed());
  }

  /** Calls a guest export; a trap becomes a {@link GuestTrapException} reported to the VM. */
  long[] call(String what, ExportFunction fn, long... args) {
    if (trapped) {
      return null;
    }
    long t0 = System.nanoTime();
    try {
      return fn.apply(args);
    } catch (RuntimeException | StackOverflowError e) {
      trapped = true;
      GuestTrapException trap = new GuestTrapException(vmId, what, e);
      log.warn("VM {} crashed: {}", vmId, trap.getMessage());
      onTrap.accept(trap);
      devices.sink().crashed(trap);
      return null;
    } finally {
      guestNanos.addAndGet(System.nanoTime() - t0);
      events.incrementAndGet();
    }
  }
}
