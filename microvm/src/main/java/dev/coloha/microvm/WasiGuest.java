package dev.coloha.microvm;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import dev.coloha.microvm.conn.ConnectionTable;
import dev.coloha.microvm.conn.GuestConnection;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.microvm.guest.WasiAbi;
import dev.coloha.microvm.memory.TrackedMemory;
import dev.coloha.microvm.wasi.AsyncifyStack;
import dev.coloha.microvm.wasi.BlockedCall;
import dev.coloha.microvm.wasi.Descriptor;
import dev.coloha.microvm.wasi.DescriptorTable;
import dev.coloha.microvm.wasi.WasiState;
import dev.coloha.wire.CorruptStreamException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 *
 * <p>An <em>inetd program</em> ({@link WasiLaunch.Network#INETD}) runs once per connection: the
 * connections the proxy delivers wait in order of arrival (at most {@link
 * VmConfig#maxInetdQueue()}; later ones are closed unanswered), and each in turn is served by a
 * fresh instance of the module, its memory and globals put back to what instantiation left (changed
 * pages written, hence dirty), standard input and output the connection ({@link Descriptor.Inetd}),
 * {@code /data} at descriptor 3. Its exit (or a trap) closes the connection and the guest
 * {@linkplain WasiState.Run#WAITING waits} for the next. The connection served is device state with
 * the rest, so a checkpoint in the middle of one resumes it elsewhere.
 *
 * <p>Over 400 lines on purpose: Asyncify's unwind and rewind, the blocked state and the inetd
 * program's fresh instance per connection all drive the same _start call and the same saved stack;
 * the imports are WasiHost's, the files WasiFiles'.
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

  private final GuestModule module;
  private final boolean inetd;
  private final java.util.Map<String, String> files;
  private Instance instance;

  /** An inetd program's memory as instantiation left it, and its mutable globals (low, high). */
  private byte[] initialImage;

  private long[][] initialGlobals;

  /** The connection an inetd program's instance serves, or -1. */
  private int inetdConn = -1;

  private long refused;

  WasiGuest(
      String vmId,
      GuestModule module,
      GuestDevices devices,
      WasiLaunch launch,
      Consumer<GuestTrapException> onTrap) {
    this.vmId = vmId;
    this.module = module;
    this.devices = devices;
    this.onTrap = onTrap;
    this.inetd = launch.inetd();
    this.files = launch.files();
    int maxDescriptors = devices.config().maxConnections() + 16;
    this.descriptors =
        inetd
            ? DescriptorTable.initial(maxDescriptors, -1)
            : DescriptorTable.initial(maxDescriptors, WasiAbi.LISTEN_FD);
    this.host = new WasiHost(vmId, module.name(), devices, launch, descriptors, this);
  }

  @Override
  public ImportValues imports() {
    return host.imports();
  }

  @Override
  public void bind(Instance instance, TrackedMemory memory) {
    this.memory = memory;
    this.instance = instance;
    host.attach(memory);
    if (inetd) {
      initialImage = Arrays.copyOf(memory.buffer(), memory.pages() * TrackedMemory.PAGE_SIZE);
      List<GuestModule.MutableGlobal> globals = module.mutableGlobals();
      initialGlobals = new long[globals.size()][];
      for (int i = 0; i < initialGlobals.length; i++) {
        var g = instance.global(globals.get(i).index());
        initialGlobals[i] = new long[] {g.getValueLow(), g.getValueHigh()};
      }
    }
    start = instance.export(WasiAbi.START);
    startUnwind = instance.export(WasiAbi.ASYNCIFY_START_UNWIND);
    stopUnwind = instance.export(WasiAbi.ASYNCIFY_STOP_UNWIND);
    startRewind = instance.export(WasiAbi.ASYNCIFY_START_REWIND);
    stopRewind = instance.export(WasiAbi.ASYNCIFY_STOP_REWIND);
  }

  @Override
  public void boot() {
    try {
      host.files().mount(inetd ? WasiFiles.INETD_DATA_FD : WasiFiles.DATA_FD);
      host.files().seed(files);
    } catch (RuntimeException e) {
      trap(e);
      return;
    }
    if (inetd) {
      run = WasiState.Run.WAITING; // _start runs once per connection
      return;
    }
    run(false);
  }

  // ---- running --------------------------------------------------------------------------------

  @Override
  public boolean dispatchOne() {
    devices.connections().forgetRunQueue();
    if (inetd && !trapped) {
      return dispatchInetd();
    }
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

  // ---- inetd programs ---------------------------------------------------------------------------

  private boolean dispatchInetd() {
    boolean stepped = false;
    if (run == WasiState.Run.WAITING) {
      GuestConnection next = devices.connections().nextToAccept();
      if (next != null) {
        serve(next);
        stepped = true;
      }
    } else if (run == WasiState.Run.BLOCKED
        && ready(devices.clock().monotonicNanos())
        && !trapped) {
      run(true);
      stepped = true;
    }
    return refuseBeyondQueue() || stepped;
  }

  /** Starts a fresh instance of the module on connection {@code c}. */
  private void serve(GuestConnection c) {
    devices.connections().opening(c);
    inetdConn = c.id();
    freshInstance();
    DescriptorTable fresh = DescriptorTable.initial(descriptors.max(), -1);
    fresh.put(0, new Descriptor.Inetd(0, c.id(), 0));
    fresh.put(1, new Descriptor.Inetd(1, c.id(), 0));
    Descriptor data = host.files().preopen();
    if (data != null) {
      fresh.put(WasiFiles.INETD_DATA_FD, data);
    }
    descriptors.replaceWith(fresh);
    exitCode = 0;
    run(false);
  }

  /**
   * Puts memory and mutable globals back to what instantiation left: a memory that grew shrinks
   * back (pages that grow again are dirty: {@link TrackedMemory#resize}), every page that differs
   * from the initial image is written, hence dirty, so a secondary ends with the same memory.
   */
  private void freshInstance() {
    int pages = initialImage.length / TrackedMemory.PAGE_SIZE;
    if (memory.pages() != pages) {
      memory.resize(pages);
    }
    byte[] now = memory.buffer();
    int page = TrackedMemory.TRACK_PAGE_SIZE;
    for (int at = 0; at < initialImage.length; at += page) {
      if (!Arrays.equals(now, at, at + page, initialImage, at, at + page)) {
        memory.write(at, initialImage, at, page);
      }
    }
    List<GuestModule.MutableGlobal> globals = module.mutableGlobals();
    for (int i = 0; i < initialGlobals.length; i++) {
      var g = instance.global(globals.get(i).index());
      g.setValueLow(initialGlobals[i][0]);
      g.setValueHigh(initialGlobals[i][1]);
    }
    stack.replaceWith(new byte[0]);
  }

  /** The served connection is over: it closes, and so does every descriptor of the instance. */
  private void connectionOver(int code) {
    host.flushLogs();
    int conn = inetdConn;
    inetdConn = -1;
    List<Descriptor> open = new ArrayList<>(descriptors.all().values());
    descriptors.replaceWith(DescriptorTable.initial(descriptors.max(), -1));
    for (Descriptor d : open) {
      host.files().closed(d);
    }
    if (conn >= 0) {
      host.closeOutput(conn);
    }
    run = WasiState.Run.WAITING;
    exitCode = code;
    blocked = null;
    unwinding = false;
    rewinding = false;
    log.debug("VM {}: connection {} served, status {}", vmId, conn, code);
  }

  /** Closes, unanswered, the connections waiting beyond {@link VmConfig#maxInetdQueue()}. */
  private boolean refuseBeyondQueue() {
    ConnectionTable table = devices.connections();
    List<GuestConnection> waiting = table.waitingToAccept();
    int limit = devices.config().maxInetdQueue();
    if (waiting.size() <= limit) {
      return false;
    }
    for (GuestConnection c : waiting.subList(limit, waiting.size())) {
      table.opening(c);
      host.closeOutput(c.id());
      if (refused++ % 1000 == 0) {
        log.warn(
            "VM {}: connection {} closed unanswered: {} connections wait already"
                + " (colo.agent.vm.max-inetd-queue; {} refused so far)",
            vmId,
            c.id(),
            limit,
            refused);
      }
    }
    return true;
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
      } else if (inetd) {
        log.warn("VM {}: connection {}: the program trapped: {}", vmId, inetdConn, e.toString());
        connectionOver(-1);
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
    if (inetd) {
      connectionOver(code);
      return;
    }
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
    if (inetd && !trapped) {
      ConnectionTable table = devices.connections();
      if (run == WasiState.Run.WAITING && table.nextToAccept() != null
          || table.waitingToAccept().size() > devices.config().maxInetdQueue()) {
        return true;
      }
    }
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
    return new WasiState(
            run, exitCode, stack.data(), descriptors, blocked, host.files().state(), inetdConn)
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
    if (inetd != (s.run() == WasiState.Run.WAITING || s.inetdConn() >= 0)
        && s.run() != WasiState.Run.NOT_STARTED) {
      throw new CheckpointMismatchException(
          "checkpoint's WASI guest state is of "
              + (inetd ? "a listening program" : "an inetd program")
              + ", this VM runs "
              + (inetd ? "an inetd program" : "a listening program"));
    }
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
    inetdConn = s.inetdConn();
    rewinding = false;
    unwinding = false;
  }

  /** For diagnostics and tests: where the guest is. */
  WasiState.Run run() {
    return run;
  }
}
