package dev.coloha.microvm;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.microvm.conn.ConnectionTable;
import dev.coloha.microvm.conn.GuestConnection;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.conn.InputProtocolException;
import dev.coloha.microvm.guest.GuestAbi;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.microvm.memory.TrackedMemory;
import dev.coloha.wire.LimitExceededException;
import dev.coloha.wire.checkpoint.Checkpoint;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebAssembly micro-VM: a guest instance, its tracked memory, its devices and the one thread
 * that runs it.
 *
 * <p>The thread dispatches events (connection open, data, close, timers) one at a time. Control
 * operations (start, pause, capture, apply, status) are queued to the same thread and run between
 * two events, so a capture sees the VM at an event boundary and the VM's pause lasts exactly as
 * long as the operation. Input may be submitted from any thread.
 */
public final class MicroVm implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MicroVm.class);

  private final String id;
  private final GuestModule guest;
  private final VmConfig config;
  private final GuestDevices devices;
  private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
  private final ArrayDeque<Control<?>> controls = new ArrayDeque<>();
  private final Thread thread;
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong guestNanos = new AtomicLong();
  private final AtomicLong inputErrors = new AtomicLong();

  private volatile VmState state = VmState.CREATED;
  private volatile GuestTrapException crash;
  private boolean booted;
  private Instance instance;
  private TrackedMemory memory;
  private ExportFunction alloc;
  private ExportFunction onOpen;
  private ExportFunction onData;
  private ExportFunction onClose;
  private ExportFunction onTimer;
  private final CheckpointCapture capture;
  private final CheckpointRestore restore;

  private record Control<T>(String operation, Callable<T> body, CompletableFuture<T> result) {}

  private record FlowControl(int conn, boolean held) {}

  private record Gate(boolean closed) {}

  private MicroVm(String id, GuestModule guest, VmConfig config, VmEnvironment env, boolean boot) {
    this.id = id;
    this.guest = guest;
    this.config = config;
    this.devices = new GuestDevices(id, config, env.disk(), env.clock(), env.random(), env.sink());
    this.capture = new CheckpointCapture(guest);
    this.restore = new CheckpointRestore(guest);
    this.thread =
        Thread.ofPlatform()
            .name("vm-" + id)
            .daemon(true)
            .stackSize(config.threadStackBytes())
            .unstarted(this::loop);
    this.thread.start();
    await(control("instantiate", () -> instantiate(boot)));
  }

  /** Instantiates a guest that will boot (run _initialize and colo_init) when started. */
  public static MicroVm create(String id, GuestModule guest, VmConfig config, VmEnvironment env) {
    return new MicroVm(id, guest, config, env, true);
  }

  /**
   * Instantiates a guest whose state comes from a full checkpoint: it is not booted again.
   *
   * @throws CheckpointMismatchException if the checkpoint is of another guest or not full
   */
  public static MicroVm restore(
      String id, GuestModule guest, VmConfig config, VmEnvironment env, Checkpoint full) {
    if (!full.header().full()) {
      throw new CheckpointMismatchException(
          "a VM can only be restored from a full checkpoint; "
              + full.header().sequence()
              + " is a delta");
    }
    MicroVm vm = new MicroVm(id, guest, config, env, false);
    try {
      vm.apply(full);
    } catch (RuntimeException e) {
      vm.close();
      throw e;
    }
    return vm;
  }

  private Void instantiate(boolean boot) {
    int limit = config.memoryLimitPages();
    if (guest.declaredInitialPages() > limit) {
      throw new LimitExceededException(
          "guest initial memory (64 KiB pages)", guest.declaredInitialPages(), limit);
    }
    instance =
        Instance.builder(guest.module())
            .withImportValues(devices.imports())
            .withMemoryFactory(
                l -> {
                  memory =
                      new TrackedMemory(
                          new MemoryLimits(l.initialPages(), Math.min(l.maximumPages(), limit)),
                          config.dirtyTracking());
                  return memory;
                })
            .withMachineFactory(guest.machineFactory())
            .withStart(false)
            .build();
    devices.attach(memory);
    alloc = instance.export(GuestAbi.ALLOC);
    onOpen = instance.export(GuestAbi.ON_OPEN);
    onData = instance.export(GuestAbi.ON_DATA);
    onClose = instance.export(GuestAbi.ON_CLOSE);
    onTimer = instance.export(GuestAbi.ON_TIMER);
    booted = !boot;
    return null;
  }

  // ---- identity and state ---------------------------------------------------------------------

  public String id() {
    return id;
  }

  public GuestModule guest() {
    return guest;
  }

  public VmConfig config() {
    return config;
  }

  public VmState state() {
    return state;
  }

  /** The trap that crashed the guest, or null. */
  public GuestTrapException crash() {
    return crash;
  }

  /** Redirects output (e.g. from a standalone listener to a replication stream). */
  public void outputSink(OutputSink sink) {
    devices.sink(sink);
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Boots the guest on first start, then dispatches events. */
  public void start() {
    await(
        control(
            "start",
            () -> {
              requireAlive("start");
              if (!booted) {
                boot();
              }
              if (state != VmState.CRASHED) {
                state = VmState.RUNNING;
              }
              return null;
            }));
  }

  private void boot() {
    booted = true;
    guestCall("_initialize", instance.export(GuestAbi.INITIALIZE));
    if (state == VmState.CRASHED) {
      return;
    }
    long[] r = guestCall(GuestAbi.INIT, instance.export(GuestAbi.INIT));
    if (state != VmState.CRASHED && r != null && r.length > 0 && r[0] != 0) {
      throw new GuestBootException(
          "guest of VM " + id + " failed to boot: colo_init returned " + r[0]);
    }
  }

  /** Stops dispatching after the current event; resumes with {@link #start()}. */
  public void pause() {
    await(
        control(
            "pause",
            () -> {
              requireAlive("pause");
              if (state == VmState.RUNNING) {
                state = VmState.PAUSED;
              }
              return null;
            }));
  }

  /** Stops the VM for good and closes its disk. Idempotent. */
  public void stop() {
    if (state == VmState.STOPPED || !thread.isAlive()) {
      state = VmState.STOPPED;
      return;
    }
    CompletableFuture<Void> f =
        control(
            "stop",
            () -> {
              state = VmState.STOPPED;
              return null;
            });
    try {
      f.get(30, TimeUnit.SECONDS);
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (Exception e) {
      log.warn("VM {} did not stop cleanly: {}", id, e.toString());
    } finally {
      closeDisk();
    }
  }

  @Override
  public void close() {
    stop();
  }

  private void closeDisk() {
    try {
      devices.disk().close();
    } catch (IOException e) {
      log.warn("VM {}: closing its disk failed: {}", id, e.getMessage());
    }
  }

  private void requireAlive(String operation) {
    if (state == VmState.STOPPED) {
      throw new VmStateException(id, state, operation);
    }
  }

  // ---- input ----------------------------------------------------------------------------------

  /** Queues client input. Any thread. */
  public void submit(InputEvent event) {
    if (state == VmState.STOPPED) {
      throw new VmStateException(id, state, "receive input");
    }
    inbox.add(event);
  }

  /**
   * Flow control for the whole VM: while the gate is closed no input reaches the guest (its output
   * has nowhere to go). Timers still fire. Any thread.
   */
  public void gateInput(boolean closed) {
    inbox.add(new Gate(closed));
  }

  /** Flow control: hold (or release) delivery of a connection's input. Any thread. */
  public void holdInput(int conn, boolean held) {
    inbox.add(new FlowControl(conn, held));
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  /**
   * Captures checkpoint {@code sequence} at the next event boundary and resumes at once.
   *
   * @param full every page (initial sync) rather than the pages dirtied since the last capture
   */
  public Captured capture(long epoch, long sequence, boolean full) {
    return await(
        control(
            "capture",
            () -> {
              requireCapturable();
              return capture.capture(memory, instance, devices, epoch, sequence, full);
            }));
  }

  /** Captures with the next sequence number (standalone use). */
  public Captured capture(boolean full) {
    return await(
        control(
            "capture",
            () -> {
              requireCapturable();
              return capture.capture(
                  memory, instance, devices, 0, capture.lastSequence() + 1, full);
            }));
  }

  private void requireCapturable() {
    if (state == VmState.CRASHED || state == VmState.STOPPED) {
      throw new VmStateException(id, state, "capture a checkpoint");
    }
    if (!booted) {
      throw new VmStateException(id, state, "capture a checkpoint before the guest booted");
    }
  }

  /**
   * Applies a checkpoint whole at the next event boundary: memory, globals, device state. Either
   * everything is applied or nothing is.
   *
   * @return time the VM was paused for, in nanoseconds
   */
  public long apply(Checkpoint cp) {
    return await(
        control(
            "apply",
            () -> {
              if (state == VmState.STOPPED) {
                throw new VmStateException(id, state, "apply a checkpoint");
              }
              long t0 = System.nanoTime();
              restore.apply(cp, memory, instance, devices);
              capture.appliedSequence(cp.header().sequence());
              booted = true;
              if (state == VmState.CRASHED) {
                // a secondary whose guest trapped is healed by the primary's state
                crash = null;
                state = VmState.RUNNING;
              }
              return System.nanoTime() - t0;
            }));
  }

  /**
   * Undoes a capture whose checkpoint never reached the secondary, so that the next capture carries
   * its pages and tombstones again.
   */
  public void rollback(Captured failed) {
    await(
        control(
            "rollback",
            () -> {
              capture.rollback(failed.checkpoint(), memory, devices);
              return null;
            }));
  }

  /** Makes this VM keep its input journal (secondary) or not (primary, standalone). */
  public void journaling(boolean on) {
    await(
        control(
            "journaling",
            () -> {
              devices.connections().journaling(on);
              return null;
            }));
  }

  /**
   * The highest connection id the VM knows, its own or inherited from a checkpoint: a new client
   * must get a higher one.
   */
  public int highestConnectionId() {
    return await(control("highest connection id", () -> devices.connections().highestId()));
  }

  /** The sequence of the last captured or applied checkpoint, -1 if none. */
  public long lastCheckpoint() {
    return capture.lastSequence();
  }

  /** Point-in-time figures, taken at an event boundary. */
  public VmStats stats() {
    if (!thread.isAlive()) {
      return VmStats.stopped(state, events.get(), guestNanos.get(), inputErrors.get());
    }
    return await(
        control(
            "stats",
            () ->
                new VmStats(
                    state,
                    memory.pages(),
                    memory.trackPages(),
                    memory.dirtyCount(),
                    events.get(),
                    guestNanos.get(),
                    devices.connections().size(),
                    devices.timers().size(),
                    devices.interval(),
                    capture.lastSequence(),
                    devices.connections().bufferedInput(),
                    inputErrors.get(),
                    devices.diskErrors(),
                    crash == null ? null : crash.getMessage())));
  }

  /**
   * Whether the VM has nothing to do right now: no input waiting for the guest and no timer due. A
   * paused or crashed VM with queued input is not idle.
   */
  public boolean idle() {
    return await(
        control(
            "idle",
            () ->
                !devices.connections().hasWork()
                    && devices.timers().untilNext(devices.clock().monotonicNanos()) != 0));
  }

  /** Runs {@code body} on the VM thread at an event boundary (tests, diagnostics). */
  public <T> T atBoundary(String operation, Callable<T> body) {
    return await(control(operation, body));
  }

  /** The tracked memory (read it only inside {@link #atBoundary}). */
  public TrackedMemory memory() {
    return memory;
  }

  public Instance instance() {
    return instance;
  }

  // ---- the VM thread --------------------------------------------------------------------------

  private <T> CompletableFuture<T> control(String operation, Callable<T> body) {
    CompletableFuture<T> f = new CompletableFuture<>();
    if (!thread.isAlive() && thread.getState() != Thread.State.NEW) {
      f.completeExceptionally(new VmStateException(id, VmState.STOPPED, operation));
      return f;
    }
    inbox.add(new Control<>(operation, body, f));
    return f;
  }

  private static <T> T await(CompletableFuture<T> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the VM", e);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  private void loop() {
    try {
      while (state != VmState.STOPPED) {
        drainInbox();
        Control<?> c = controls.poll();
        if (c != null) {
          runControl(c);
          continue;
        }
        if (state == VmState.RUNNING && dispatchOne()) {
          continue;
        }
        long wait =
            state == VmState.RUNNING
                ? devices.timers().untilNext(devices.clock().monotonicNanos())
                : -1;
        Object next = wait < 0 ? inbox.take() : inbox.poll(wait, TimeUnit.NANOSECONDS);
        if (next != null) {
          accept(next);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      state = VmState.STOPPED;
      failPending();
    }
  }

  private void failPending() {
    Control<?> c;
    while ((c = controls.poll()) != null) {
      c.result().completeExceptionally(new VmStateException(id, VmState.STOPPED, c.operation()));
    }
    Object o;
    while ((o = inbox.poll()) != null) {
      if (o instanceof Control<?> ctl) {
        ctl.result()
            .completeExceptionally(new VmStateException(id, VmState.STOPPED, ctl.operation()));
      }
    }
  }

  private void drainInbox() {
    Object o;
    while ((o = inbox.poll()) != null) {
      accept(o);
    }
  }

  private void accept(Object o) {
    switch (o) {
      case Control<?> c -> controls.add(c);
      case InputEvent e -> {
        try {
          devices.connections().receive(e);
        } catch (InputProtocolException ex) {
          inputErrors.incrementAndGet();
          log.warn("VM {} refused input: {}", id, ex.getMessage());
        }
      }
      case FlowControl fc -> {
        GuestConnection conn = devices.connections().get(fc.conn());
        if (conn != null) {
          conn.holdInput(fc.held());
          devices.connections().schedule(conn);
        }
      }
      case Gate g -> devices.connections().gate(g.closed());
      default -> throw new IllegalStateException("unknown inbox item " + o);
    }
  }

  private <T> void runControl(Control<T> c) {
    try {
      c.result().complete(c.body().call());
    } catch (Throwable t) {
      c.result().completeExceptionally(t);
    }
  }

  /** Delivers one event to the guest; false if there was nothing to do. */
  private boolean dispatchOne() {
    long now = devices.clock().monotonicNanos();
    int timer = devices.timers().popDue(now);
    if (timer >= 0) {
      guestCall(GuestAbi.ON_TIMER, onTimer, timer);
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
      guestCall(GuestAbi.ON_OPEN, onOpen, conn);
    } else if (table.pending(c) > 0 && !c.inputHeld()) {
      deliverData(table, c);
    } else {
      table.closing(c);
      guestCall(GuestAbi.ON_CLOSE, onClose, conn);
      devices.sink().ended(conn);
    }
    table.done(c);
    return true;
  }

  private void deliverData(ConnectionTable table, GuestConnection c) {
    byte[] bytes = table.take(c, config.maxDataChunk());
    long[] r = guestCall(GuestAbi.ALLOC, alloc, bytes.length);
    if (state == VmState.CRASHED) {
      return;
    }
    int ptr = (int) r[0];
    if (ptr == 0) {
      // out of guest memory: the connection cannot continue, tell the guest it is gone
      log.warn(
          "VM {} connection {}: guest could not allocate {} input bytes; closing it",
          id,
          c.id(),
          bytes.length);
      table.abandon(c);
      guestCall(GuestAbi.ON_CLOSE, onClose, c.id());
      devices.sink().closed(c.id(), devices.interval(), c.produced());
      return;
    }
    memory.write(ptr, bytes, 0, bytes.length);
    guestCall(GuestAbi.ON_DATA, onData, c.id(), ptr, bytes.length);
    devices.sink().consumed(c.id(), c.consumed());
  }

  private long[] guestCall(String what, ExportFunction fn, long... args) {
    long t0 = System.nanoTime();
    try {
      return fn.apply(args);
    } catch (RuntimeException | StackOverflowError e) {
      crash = new GuestTrapException(id, what, e);
      state = VmState.CRASHED;
      log.warn("VM {} crashed: {}", id, crash.getMessage());
      devices.sink().crashed(crash);
      return null;
    } finally {
      guestNanos.addAndGet(System.nanoTime() - t0);
      events.incrementAndGet();
    }
  }
}
