package dev.coloha.microvm;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import dev.coloha.microvm.guest.WasiAbi;
import dev.coloha.microvm.memory.TrackedMemory;
import dev.coloha.microvm.wasi.AsyncifyStack;
import dev.coloha.microvm.wasi.BlockedCall;
import dev.coloha.microvm.wasi.DescriptorTable;
import dev.coloha.microvm.wasi.WasiState;
import dev.coloha.wire.CorruptStreamException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a WASI command module made checkpointable with Asyncify. {@code _start} runs until a
 * blocking import ({@link WasiHost}) finds nothing ready: the import starts an unwind, the guest's
 * Wasm stack is saved as Asyncify's data (kept host-side) and {@code _start} returns. The guest is
 * then <em>blocked</em>: its whole state is memory, globals and {@link WasiState} (the unwound
 * stack included), which is what a checkpoint captures and applies. When the blocked call could go
 * on (input, a client, its deadline) the guest is rewound: {@code _start} runs again in rewind mode
 * up to the same import, which now completes. VM thread only.
 *
 * <p>The unwound stack (Asyncify's data, up to {@link #ASYNCIFY_DATA_BYTES}) is kept host-side by
 * {@link AsyncifyStack}: the host adds nothing to the guest's memory and owns none of it, so
 * whatever the guest's allocator takes is the guest's (docs/adr/0002-wasi-asyncify.md).
 */
final class WasiGuest implements GuestDriver {
  private static final Logger log = LoggerFactory.getLogger(WasiGuest.class);

  /** Asyncify's data structure, its 8-byte header included: the most it may unwind. */
  static final int ASYNCIFY_DATA_BYTES = 65536;

  private final String vmId;
  private final GuestDevices devices;
  private final Consumer<GuestTrapException> onTrap;
  private final WasiHost host;
  private final DescriptorTable descriptors;
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong guestNanos = new AtomicLong();
  private TrackedMemory memory;
  private ExportFunction start;
  private ExportFunction startUnwind;
  private ExportFunction stopUnwind;
  private ExportFunction startRewind;
  private ExportFunction stopRewind;

  private WasiState.Run run = WasiState.Run.NOT_STARTED;
  private int exitCode;
  private final AsyncifyStack stack = new AsyncifyStack(ASYNCIFY_DATA_BYTES);
  private BlockedCall blocked;
  private boolean rewinding;
  private boolean unwinding;
  private volatile boolean trapped;

  WasiGuest(
      String vmId,
      String program,
      GuestDevices devices,
      WasiLaunch launch,
      Consumer<GuestTrapException> onTrap) {
    this.vmId = vmId;
    this.devices = devices;
    this.onTrap = onTrap;
    int maxDescriptors = devices.config().maxConnections() + 16;
    this.descriptors = DescriptorTable.initial(maxDescriptors, WasiAbi.LISTEN_FD);
    this.host = new WasiHost(vmId, program, devices, launch, descriptors, this);
  }

  @Override
  public ImportValues imports() {
    return host.imports();
  }

  @Override
  public void bind(Instance instance, TrackedMemory memory) {
    this.memory = memory;
    host.attach(memory);
    start = instance.export(WasiAbi.START);
    startUnwind = instance.export(WasiAbi.ASYNCIFY_START_UNWIND);
    stopUnwind = instance.export(WasiAbi.ASYNCIFY_STOP_UNWIND);
    startRewind = instance.export(WasiAbi.ASYNCIFY_START_REWIND);
    stopRewind = instance.export(WasiAbi.ASYNCIFY_STOP_REWIND);
  }

  @Override
  public void boot() {
    try {
      host.files().mount();
    } catch (RuntimeException e) {
      trap(e);
      return;
    }
    run(false);
  }

  // ---- running --------------------------------------------------------------------------------

  @Override
  public boolean dispatchOne() {
    devices.connections().forgetRunQueue();
    if (run != WasiState.Run.BLOCKED || trapped) {
      return false;
    }
    if (!ready(devices.clock().monotonicNanos())) {
      return false;
    }
    run(true);
    return true;
  }

  private boolean ready(long now) {
    if (blocked == null) {
      return true;
    }
    if (blocked.hasDeadline() && now >= blocked.deadlineNanos()) {
      return true;
    }
    return host.anyReady(blocked);
  }

  /** Runs {@code _start} (rewinding into the blocked call) until it blocks again or exits. */
  private void run(boolean rewind) {
    long t0 = System.nanoTime();
    try {
      if (rewind) {
        int data = stack.lendForRewind(memory);
        rewinding = true;
        startRewind.apply(data);
      }
      start.apply();
      if (unwinding) {
        unwinding = false;
        stopUnwind.apply();
        stack.unwound(memory);
        run = WasiState.Run.BLOCKED;
      } else {
        exited(0);
      }
    } catch (RuntimeException | StackOverflowError e) {
      stack.abandon(memory);
      WasiHost.Exit exit = exitOf(e);
      if (exit != null) {
        exited(exit.code());
      } else {
        trap(e);
      }
    } finally {
      guestNanos.addAndGet(System.nanoTime() - t0);
      events.incrementAndGet();
    }
  }

  private static WasiHost.Exit exitOf(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof WasiHost.Exit x) {
        return x;
      }
    }
    return null;
  }

  private void exited(int code) {
    run = WasiState.Run.EXITED;
    exitCode = code;
    blocked = null;
    unwinding = false;
    rewinding = false;
    log.info("VM {}: guest exited with status {}", vmId, code);
    trap(new WasiHost.Exit(code));
  }

  private void trap(Throwable e) {
    trapped = true;
    GuestTrapException trap = new GuestTrapException(vmId, WasiAbi.START, e);
    log.warn("VM {} crashed: {}", vmId, trap.getMessage());
    onTrap.accept(trap);
    devices.sink().crashed(trap);
  }

  // ---- what the blocking imports call ---------------------------------------------------------

  /**
   * Entry of a blocking import: if the guest is being rewound into it, the rewind is over and the
   * call it blocked in is returned (its deadline holds); otherwise null (a fresh call).
   */
  BlockedCall resumed() {
    if (!rewinding) {
      return null;
    }
    rewinding = false;
    stopRewind.apply();
    stack.rewound(memory);
    return blocked;
  }

  /** The blocking import found nothing ready: unwind; the import's result is ignored. */
  void block(BlockedCall call) {
    int data = stack.lendForUnwind(memory);
    blocked = call;
    unwinding = true;
    startUnwind.apply(data);
  }

  /** The blocking import completed. */
  void completed() {
    blocked = null;
  }

  // ---- scheduling -----------------------------------------------------------------------------

  @Override
  public boolean hasInput() {
    return run == WasiState.Run.BLOCKED && !trapped && blocked != null && host.anyReady(blocked);
  }

  @Override
  public long nanosUntilTimer() {
    if (run != WasiState.Run.BLOCKED || trapped || blocked == null || !blocked.hasDeadline()) {
      return -1;
    }
    return Math.max(0, blocked.deadlineNanos() - devices.clock().monotonicNanos());
  }

  @Override
  public boolean trapped() {
    return trapped;
  }

  @Override
  public void healed() {
    trapped = false;
  }

  @Override
  public long events() {
    return events.get();
  }

  @Override
  public long guestNanos() {
    return guestNanos.get();
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  @Override
  public byte[] captureState() {
    return new WasiState(run, exitCode, stack.data(), descriptors, blocked, host.files().state())
        .encode(devices.clock().monotonicNanos());
  }

  /**
   * Before anything is applied: a state of version 1 is checked without its unwound stack, which is
   * in the checkpoint's memory.
   */
  @Override
  public void checkState(byte[] state) {
    WasiState s =
        decode(
            state,
            at -> {
              if (at < 0) {
                throw new CorruptStreamException("version 1 Asyncify data at " + at);
              }
              return new byte[0];
            });
    try {
      host.files().check(s.fileSystem());
    } catch (CorruptStreamException e) {
      throw new CheckpointMismatchException(
          "checkpoint's file system state cannot be applied: " + e.getMessage());
    }
  }

  private WasiState decode(byte[] state, WasiState.Version1Stack version1) {
    try {
      return WasiState.decode(
          state,
          descriptors.max(),
          stack.maxDataBytes(),
          devices.clock().monotonicNanos(),
          version1);
    } catch (CorruptStreamException e) {
      throw new CheckpointMismatchException(
          "checkpoint's WASI guest state cannot be applied: " + e.getMessage());
    }
  }

  /**
   * The unwound stack of a version 1 state (a checkpoint of a host that kept Asyncify's data in the
   * guest's memory): Asyncify's data at {@code at} in the memory just applied, its header's first
   * word the end of the stack. The bytes stay where they are, now the guest's.
   */
  private byte[] version1Stack(int at) {
    long size = (long) memory.pages() * TrackedMemory.PAGE_SIZE;
    if (at < 0 || at + (long) AsyncifyStack.HEADER_BYTES > size) {
      throw new CorruptStreamException(
          "version 1 Asyncify data at " + at + ", outside memory of " + size + " bytes");
    }
    long used = (long) memory.readInt(at) - at - AsyncifyStack.HEADER_BYTES;
    if (used < 0 || used > stack.maxDataBytes() || at + AsyncifyStack.HEADER_BYTES + used > size) {
      throw new CorruptStreamException(
          "version 1 Asyncify data at " + at + " says its stack ends at " + memory.readInt(at));
    }
    return memory.readBytes(at + AsyncifyStack.HEADER_BYTES, (int) used);
  }

  /**
   * After memory and globals were applied (so that a version 1 state's stack can be read out of
   * memory; a version 1 state whose Asyncify data is not there fails only now, the memory already
   * applied, like any corrupt checkpoint).
   */
  @Override
  public void applyState(byte[] state) {
    WasiState s = decode(state, this::version1Stack);
    run = s.run();
    exitCode = s.exitCode();
    stack.replaceWith(s.unwoundStack());
    blocked = s.blocked();
    descriptors.replaceWith(s.descriptors());
    host.files().apply(s.fileSystem());
    rewinding = false;
    unwinding = false;
  }

  /** For diagnostics and tests: where the guest is. */
  WasiState.Run run() {
    return run;
  }
}
