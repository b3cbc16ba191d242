package dev.coloha.microvm.checkpoint;

import dev.coloha.wire.checkpoint.Checkpoint;
import java.util.function.Consumer;

/**
 * A checkpoint just captured, with what it cost the VM.
 *
 * <p>Its page buffer is reused by the VM's next capture once {@link #release()} is called (after
 * the checkpoint was written or sent), so that a capture does not allocate and fault in fresh
 * memory while the VM is paused. Do not touch {@link Checkpoint#pageData()} after releasing.
 *
 * @param checkpoint the state
 * @param pauseNanos how long the VM was stopped: the copy of pages, globals and device state
 * @param copyNanos the part of the pause spent copying pages
 * @param digest SHA-256 of the whole memory at the pause when asked for (verification), else empty
 * @param releaser hands the page buffer back for reuse
 */
public record Captured(
    Checkpoint checkpoint,
    long pauseNanos,
    long copyNanos,
    byte[] digest,
    Consumer<byte[]> releaser) {

  /** Gives the page buffer back to the VM for its next capture. Idempotent enough: call once. */
  public void release() {
    releaser.accept(checkpoint.pageData());
  }
}
