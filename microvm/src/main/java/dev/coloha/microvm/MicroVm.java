package dev.coloha.microvm;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.coloha.api.agent.VmState;
import dev.coloha.microvm.checkpoint.CaptureKind;
import dev.coloha.microvm.checkpoint.Captured;
import dev.coloha.microvm.conn.GuestConnection;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.conn.InputProtocolException;
import dev.coloha.microvm.guest.GuestModule;
import dev.coloha.microvm.memory.TrackedMemory;
import dev.coloha.wire.LimitExceededException;
import dev.coloha.wire.checkpoint.Checkpoint;
import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
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
 *
 * <p>Over 400 lines on purpose: it is the VM's one control surface, and each control operation
 * (start, pause, capture, pre-copy, apply, rollback, its disk's failover) is a small method queued
 * to the VM's thread through the same control queue; the work is in the guest, TrackedMemory,
 * ConnectionTable and the checkpoint codec.
 */
public final class MicroVm implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MicroVm.class);

  private final String id;
  private final GuestModule guest;
  private final VmConfig config;
  private final GuestDevices devices;
  private final VmThread thread;
  private final GuestDriver driver;
  private final AtomicLong inputErrors = new AtomicLong();

  private volatile VmState state = VmState.CREATED;
  private volatile GuestTrapException crash;
  private boolean booted;
  private Instance instance;
  private TrackedMemory memory;
  private final CheckpointCapture capture;
  private final CheckpointRestore restore;

  private record FlowControl(int conn, boolean held) {}

  private record Gate(boolean closed) {}

  private MicroVm(String id, GuestModule guest, VmConfig config, VmEnvironment env, boolean boot) {
    this.id = id;
    this.guest = guest;
    this.config = config;
    this.devices =
        new GuestDevices(
            id, config, env.disk(), env.clock(), env.random(), env.sink(), env.launch().env());
    this.capture = new CheckpointCapture(guest);
    this.restore = new CheckpointRestore(guest);
    java.util.function.Consumer<GuestTrapException> onTrap =
        trap -> {
          crash = trap;
          state = VmState.CRASHED;
        };
    this.driver =
        guest.wasi()
            ? new WasiGuest(id, guest, devices, env.launch(), onTrap)
            : new ColoGuest(id, devices, new GuestEvents(id, config, devices, onTrap));
    this.thread = new VmThread(id, config.threadStackBytes(), new Work());
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
            .withImportValues(driver.imports())
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
    driver.bind(instance, memory);
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
    driver.boot();
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
    if (state == VmState.STOPPED || !thread.alive()) {
      state = VmState.STOPPED;
      return;
    }
    CompletableFuture<Void> f =
        control(
            "stop",
            () -> {
              state = VmState.STOPPED;
              thread.requestStop();
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
    thread.post(event);
  }

  /**
   * Flow control for the whole VM: while the gate is closed no input reaches the guest (its output
   * has nowhere to go). Timers still fire. Any thread.
   */
  public void gateInput(boolean closed) {
    thread.post(new Gate(closed));
  }

  /** Flow control: hold (or release) delivery of a connection's input. Any thread. */
  public void holdInput(int conn, boolean held) {
    thread.post(new FlowControl(conn, held));
  }

  // ---- checkpoints ----------------------------------------------------------------------------

  /**
   * Captures checkpoint {@code sequence} at the next event boundary and resumes at once.
   *
   * @param kind every page, the pages dirtied since the last capture, or the final round of a live
   *     initial sync
   * @param digest also hash the whole memory at the pause (verification; adds to the pause)
   */
  public Captured capture(long epoch, long sequence, CaptureKind kind, boolean digest) {
    return capture(epoch, sequence, kind, digest, true);
  }

  /**
   * As {@link #capture(long, long, CaptureKind, boolean)}, but the VM thread's wake-up after the
   * pause (which lets it recompute its wait and deliver the deferred INTERVAL frame) is left to a
   * {@link #settle()} that the caller owes: a checkpoint stream settles once the checkpoint is
   * acknowledged (or failed), so that the wake-up is not on its path. Input and timers wake the VM
   * thread meanwhile as always.
   */
  public Captured captureThenSettle(long epoch, long sequence, CaptureKind kind, boolean digest) {
    return capture(epoch, sequence, kind, digest, false);
  }

  private Captured capture(
      long epoch, long sequence, CaptureKind kind, boolean digest, boolean settleNow) {
    return thread.callWhenIdle(
        "capture",
        () -> {
          requireCapturable();
          return capture.capture(memory, instance, devices, driver, epoch, sequence, kind, digest);
        },
        settleNow);
  }

  /**
   * Whether the calling thread is this VM's own thread: output it queues between two events may
   * wait to wake its reader until the thread settles ({@link OutputSink#settle()}), after a burst
   * of events or when it runs out of them.
   */
  public boolean onVmThread() {
    return thread.isCurrent();
  }

  /**
   * Finishes a {@link #captureThenSettle} or {@link #applyThenSettle} (any thread): the apply's
   * copy of the checkpoint's pages into the memory cache, then the VM thread's wake-up if the
   * operation left it something to do (else the output's deferred wake-up, on this thread).
   */
  public void settle() {
    restore.finishCache();
    thread.settle();
  }

  /** A full or delta capture of checkpoint {@code sequence} without a digest. */
  public Captured capture(long epoch, long sequence, boolean full) {
    return capture(epoch, sequence, full ? CaptureKind.FULL : CaptureKind.DELTA, false);
  }

  /** Captures with the next sequence number (standalone use). */
  public Captured capture(boolean full) {
    return await(
        control(
            "capture",
            () -> {
              requireCapturable();
              return capture.capture(
                  memory,
                  instance,
                  devices,
                  driver,
                  0,
                  capture.lastSequence() + 1,
                  full ? CaptureKind.FULL : CaptureKind.DELTA,
                  false);
            }));
  }

  /**
   * Starts a live pre-copy: forgets which pages are dirty, so that from now on the dirty map
   * records exactly the pages written after the copy began. Returns the memory size in 64 KiB
   * pages. The caller then reads every page racily ({@link #readPageRacy}).
   */
  public int beginPrecopy() {
    return await(
        control(
            "begin pre-copy",
            () -> {
              requireCapturable();
              memory.clearDirty();
              return memory.pages();
            }));
  }

  /** The pages written since the last pre-copy round (and forgets them): the next round's set. */
  public int[] precopyRound() {
    return await(
        control(
            "pre-copy round",
            () -> {
              requireCapturable();
              int[] dirty = memory.dirtyPages();
              memory.clearDirty();
              return dirty;
            }));
  }

  /**
   * How many pages were written since the last pre-copy round, without taking them: they stay for
   * the next round or the final capture.
   */
  public int precopyDirtyCount() {
    return await(
        control(
            "pre-copy dirty count",
            () -> {
              requireCapturable();
              return memory.dirtyCount();
            }));
  }

  /** Memory size in 64 KiB pages, read without stopping the VM. */
  public int memoryPagesRacy() {
    return memory.pages();
  }

  /** Copies a 4 KiB page without stopping the VM (see {@link TrackedMemory#readPageRacy}). */
  public boolean readPageRacy(int page, byte[] dst, int offset) {
    return memory.readPageRacy(page, dst, offset);
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
    return apply(cp, false).pauseNanos();
  }

  /** What an apply cost, and the memory digest right after it when asked for. */
  public record Applied(long pauseNanos, byte[] digest) {}

  /**
   * As {@link #apply(Checkpoint)}; with {@code digest}, also hashes the memory before the VM
   * resumes (verification).
   */
  public Applied apply(Checkpoint cp, boolean digest) {
    return apply(cp, digest, true);
  }

  /**
   * As {@link #apply(Checkpoint, boolean)}, owing a {@link #settle()} (see captureThenSettle)
   * before the checkpoint's page buffer is reused: a delta's pages go into the memory cache only
   * then, off the VM's pause and, for a checkpoint stream, after the acknowledgement.
   */
  public Applied applyThenSettle(Checkpoint cp, boolean digest) {
    return apply(cp, digest, false);
  }

  private Applied apply(Checkpoint cp, boolean digest, boolean settleNow) {
    return thread.callWhenIdle(
        "apply",
        () -> {
          if (state == VmState.STOPPED) {
            throw new VmStateException(id, state, "apply a checkpoint");
          }
          long t0 = System.nanoTime();
          restore.apply(cp, memory, instance, devices, driver, !settleNow);
          capture.appliedSequence(cp.header().sequence());
          booted = true;
          if (state == VmState.CRASHED) {
            // a secondary whose guest trapped is healed by the primary's state
            crash = null;
            state = VmState.RUNNING;
            driver.healed();
          }
          long pause = System.nanoTime() - t0;
          return new Applied(pause, digest ? memory.digest() : new byte[0]);
        },
        settleNow);
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

  /**
   * Continues the checkpoint chain from {@code sequence}: the secondary turned out to hold a
   * checkpoint whose acknowledgement was lost (and which was rolled back here). Pages rolled back
   * stay dirty and are simply sent again.
   */
  public void adoptBase(long sequence) {
    await(
        control(
            "adopt base",
            () -> {
              if (sequence > capture.lastSequence()) {
                capture.appliedSequence(sequence);
              }
              return null;
            }));
  }

  /**
   * A promoted secondary takes its disk over in {@code epoch} (at an event boundary: no guest write
   * in between).
   */
  public void diskFailover(long epoch) {
    await(
        control(
            "disk failover",
            () -> {
              devices.disk().failOver(epoch);
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

  /** The ids of the connections the VM has, in order. */
  public java.util.List<Integer> connectionIds() {
    return await(
        control(
            "connection ids",
            () ->
                devices.connections().all().stream()
                    .map(dev.coloha.microvm.conn.GuestConnection::id)
                    .sorted()
                    .toList()));
  }

  /** The sequence of the last captured or applied checkpoint, -1 if none. */
  public long lastCheckpoint() {
    return capture.lastSequence();
  }

  /** Point-in-time figures, taken at an event boundary. */
  public VmStats stats() {
    if (!thread.alive()) {
      return VmStats.stopped(state, driver.events(), driver.guestNanos(), inputErrors.get());
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
                    driver.events(),
                    driver.guestNanos(),
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
    return await(control("idle", () -> !driver.hasInput() && driver.nanosUntilTimer() != 0));
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
    return thread.control(operation, body);
  }

  private static <T> T await(CompletableFuture<T> f) {
    return VmThread.await(f);
  }

  /** What the VM thread drives: input into the connection table, events into the guest. */
  private final class Work implements VmThread.Work {
    @Override
    public void input(Object item) {
      switch (item) {
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
        default -> throw new IllegalStateException("unknown inbox item " + item);
      }
    }

    @Override
    public boolean dispatching() {
      return state == VmState.RUNNING;
    }

    @Override
    public boolean dispatchOne() {
      return driver.dispatchOne();
    }

    @Override
    public boolean hasInput() {
      return driver.hasInput();
    }

    @Override
    public long nanosUntilTimer() {
      return driver.nanosUntilTimer();
    }

    @Override
    public void ended() {
      state = VmState.STOPPED;
    }

    @Override
    public void settled() {
      devices.sink().settle();
    }
  }
}
