package dev.coloha.microvm.wasi;

import dev.coloha.microvm.memory.TrackedMemory;

/**
 * The unwound Wasm stack of a WASI guest (Asyncify's data), kept by the host, never in memory the
 * guest owns. Asyncify needs its data structure in linear memory only while it unwinds or rewinds,
 * so for those moments the host <em>lends</em> itself the top {@link #capacity} bytes of memory: it
 * saves their bytes, lets Asyncify write (unwind) or read (rewind) its data there, then takes the
 * data out and puts the guest's bytes back. Nothing else touches memory meanwhile: while a guest
 * unwinds or rewinds, instrumented code only moves the data, and between an unwind and the next
 * rewind the guest does not run (so its memory cannot grow either). The data is position
 * independent (saved locals and call indices, the only addresses being the 8-byte header's), so a
 * rewind may lend another address than the unwind did, e.g. after a checkpoint was applied.
 * docs/adr/0002-wasi-asyncify.md. VM thread only.
 */
public final class AsyncifyStack {
  /** Asyncify's header: the data's current pointer, then its end (two i32). */
  public static final int HEADER_BYTES = 8;

  private static final byte[] EMPTY = new byte[0];

  private final int capacity;
  private final byte[] guestBytes;
  private int lentAt = -1;
  private int lentBytes;
  private int savedBytes;
  private byte[] data = EMPTY;

  /**
   * @param capacity bytes Asyncify may use, header included
   */
  public AsyncifyStack(int capacity) {
    if (capacity <= HEADER_BYTES) {
      throw new IllegalArgumentException("Asyncify data of " + capacity + " bytes");
    }
    this.capacity = capacity;
    this.guestBytes = new byte[capacity];
  }

  public int capacity() {
    return capacity;
  }

  /** The most unwound stack bytes a checkpoint may carry. */
  public int maxDataBytes() {
    return capacity - HEADER_BYTES;
  }

  /** The unwound stack, header excluded; empty when the guest is not unwound. */
  public byte[] data() {
    return data.clone();
  }

  /** Takes the unwound stack of a checkpoint. */
  public void replaceWith(byte[] data) {
    if (data.length > maxDataBytes()) {
      throw new IllegalArgumentException("unwound stack of " + data.length + " bytes");
    }
    this.data = data.clone();
  }

  /** Whether memory is lent to Asyncify right now (an unwind or rewind is under way). */
  public boolean lent() {
    return lentAt >= 0;
  }

  /**
   * Before {@code asyncify_start_unwind}: lends the top of memory, empty.
   *
   * @return the address to pass to {@code asyncify_start_unwind}
   * @throws IllegalStateException if memory is too small for even the header
   */
  public int lendForUnwind(TrackedMemory memory) {
    int at = lend(memory, capacity);
    memory.writeI32(at, at + HEADER_BYTES);
    memory.writeI32(at + 4, at + lentBytes);
    data = EMPTY;
    return at;
  }

  /**
   * After {@code asyncify_stop_unwind}: takes the unwound stack out of memory and puts the guest's
   * bytes back.
   */
  public void unwound(TrackedMemory memory) {
    requireLent();
    int used = memory.readInt(lentAt) - lentAt - HEADER_BYTES;
    if (used < 0 || used > lentBytes - HEADER_BYTES) {
      giveBack(memory);
      throw new IllegalStateException("Asyncify data pointer out of its region after an unwind");
    }
    data = memory.readBytes(lentAt + HEADER_BYTES, used);
    savedBytes = HEADER_BYTES + used; // Asyncify wrote nothing above its data pointer
    giveBack(memory);
  }

  /**
   * Before {@code asyncify_start_rewind}: lends the top of memory again, with the unwound stack.
   *
   * @return the address to pass to {@code asyncify_start_rewind}
   */
  public int lendForRewind(TrackedMemory memory) {
    int at = lend(memory, HEADER_BYTES + data.length);
    if (HEADER_BYTES + data.length > lentBytes) {
      giveBack(memory);
      throw new IllegalStateException(
          "memory of " + memory.pages() + " pages cannot hold the unwound stack");
    }
    memory.writeI32(at, at + HEADER_BYTES + data.length);
    memory.writeI32(at + 4, at + lentBytes);
    memory.write(at + HEADER_BYTES, data, 0, data.length);
    return at;
  }

  /** After {@code asyncify_stop_rewind}: the guest's bytes go back; the stack is consumed. */
  public void rewound(TrackedMemory memory) {
    requireLent();
    giveBack(memory);
    data = EMPTY;
  }

  /** The guest trapped or exited while memory was lent: its bytes go back. */
  public void abandon(TrackedMemory memory) {
    if (lent()) {
      giveBack(memory);
    }
    data = EMPTY;
  }

  /**
   * Saves the guest's bytes of the region Asyncify gets: the top {@link #capacity} bytes of memory
   * (all of it if smaller), of which the first {@code touched} are written.
   */
  private int lend(TrackedMemory memory, int touched) {
    if (lent()) {
      throw new IllegalStateException("Asyncify data already lent at " + lentAt);
    }
    int size = memory.pages() * TrackedMemory.PAGE_SIZE; // one Java array: below 2 GiB
    int length = Math.min(capacity, size);
    if (length <= HEADER_BYTES) {
      throw new IllegalStateException(
          "memory of " + memory.pages() + " pages has no room for the Asyncify data");
    }
    int at = size - length;
    lentAt = at;
    lentBytes = length;
    savedBytes = Math.min(touched, length);
    memory.read(at, guestBytes, 0, savedBytes);
    return at;
  }

  private void giveBack(TrackedMemory memory) {
    memory.write(lentAt, guestBytes, 0, savedBytes);
    lentAt = -1;
    lentBytes = 0;
    savedBytes = 0;
  }

  private void requireLent() {
    if (!lent()) {
      throw new IllegalStateException("no Asyncify data lent");
    }
  }
}
