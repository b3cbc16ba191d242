package dev.coloha.microvm;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import dev.coloha.microvm.memory.TrackedMemory;

/**
 * How a VM runs its guest, by the guest's ABI: ABI v1 calls the guest's event callbacks ({@link
 * ColoGuest}); a WASI command runs {@code _start} and is unwound and rewound around its blocking
 * calls ({@link WasiGuest}). Either way the VM thread calls {@link #dispatchOne} between control
 * operations, so that a checkpoint always sees the guest with nothing on its Wasm stack. VM thread
 * only.
 */
interface GuestDriver {
  /** The host functions the guest imports. */
  ImportValues imports();

  /** Binds the instance's exports (after instantiation). */
  void bind(Instance instance, TrackedMemory memory);

  /** Runs the guest's start-up. A trap is reported through the VM's trap handler. */
  void boot();

  /** Lets the guest take one step; false if there was nothing it could do. */
  boolean dispatchOne();

  /** Whether the guest could take a step now because of input. */
  boolean hasInput();

  /** Nanoseconds until a timer or deadline is due, 0 if one is due, -1 if none. */
  long nanosUntilTimer();

  /** Whether the guest trapped (or exited) and takes no more steps. */
  boolean trapped();

  /** A checkpoint healed a trapped guest. */
  void healed();

  long events();

  long guestNanos();

  /** ABI-specific host state for a checkpoint's DEVICE frame (empty for ABI v1). */
  byte[] captureState();

  /**
   * Checks that {@code state} can be applied; throws {@link CheckpointMismatchException} if not.
   */
  void checkState(byte[] state);

  /** Applies checked state (cannot fail). */
  void applyState(byte[] state);
}
