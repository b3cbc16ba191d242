package dev.coloha.microvm.memory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Wasm linear memory that records which 4 KiB pages were written.
 *
 * <p>Storage is one flat {@code byte[]} (fast single-index access; growth copies, which is rare).
 * Every store marks its page in a byte-per-page map (a plain store, cheaper than a bitset's
 * read-modify-write); a store that crosses a page boundary marks the next page too. Both Chicory's
 * interpreter and its compiler route every store through this class.
 *
 * <p>Thread model: the VM's own thread does every guest access and every dirty-bit update. Other
 * threads may read pages racily (live pre-copy); such copies are made right later by the dirty
 * bits.
 *
 * <p>Over 400 lines on purpose: it implements Chicory's Memory, which has a method per Wasm load
 * and store width (most of the class), and every store must mark the page it writes.
 */
public final class TrackedMemory implements Memory {
  public static final int TRACK_PAGE_SIZE = 4096;
  public static final int TRACK_SHIFT = 12;
  public static final int TRACK_PAGES_PER_WASM_PAGE = PAGE_SIZE / TRACK_PAGE_SIZE;

  private static final VarHandle SHORT =
      MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle FLOAT =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle DOUBLE =
      MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);

  private final MemoryLimits limits;
  private final boolean tracking;
  private volatile byte[] buffer;

  /**
   * One byte per 4 KiB page, non-zero when dirty: a plain store per write, no read-modify-write.
   */
  private byte[] dirty;

  /**
   * One byte per block of {@link #BLOCK_PAGES} pages (256 KiB of memory), non-zero when a page in
   * it was marked: finding and clearing the dirty pages then costs the blocks written, not the
   * whole map (a 4 GiB memory has a 1 MiB page map, but a 16 KiB block map). Marked with the page,
   * by a second plain store when a write lands in another page than the last one did.
   */
  private byte[] dirtyBlocks;

  private static final int BLOCK_SHIFT = 6;
  static final int BLOCK_PAGES = 1 << BLOCK_SHIFT;

  private int pages;

  /**
   * The largest size (64 KiB pages) this memory had before a {@link #resize} shrank it: a page that
   * grows back below it is zero here but may hold the old bytes in a replica that never shrank (a
   * secondary that applied no checkpoint in between), so it is marked dirty when it grows back.
   */
  private int shrunkFrom;

  /** The page marked last: consecutive stores to one page (the stack, mostly) skip the map. */
  private int lastMarked = -1;

  private DataSegment[] dataSegments = new DataSegment[0];

  /**
   * @param limits initial and maximum size in 64 KiB pages (the maximum already capped by the VM's
   *     memory limit)
   * @param tracking whether to record dirty pages (off only for benchmarks that measure its cost)
   */
  public TrackedMemory(MemoryLimits limits, boolean tracking) {
    if (limits.shared()) {
      throw new IllegalArgumentException("shared memories are not supported");
    }
    this.limits = limits;
    this.tracking = tracking;
    this.pages = limits.initialPages();
    this.buffer = new byte[Math.multiplyExact(pages, PAGE_SIZE)];
    this.dirty = new byte[pages * TRACK_PAGES_PER_WASM_PAGE];
    this.dirtyBlocks = new byte[blocksFor(dirty.length)];
  }

  /** Length of the block map for {@code trackPages} pages: whole blocks, in whole longs. */
  private static int blocksFor(int trackPages) {
    int blocks = (trackPages + BLOCK_PAGES - 1) >>> BLOCK_SHIFT;
    return (blocks + 7) & ~7;
  }

  // ---- dirty tracking -------------------------------------------------------------------------

  /**
   * Marks the page of a (successful) store of size <= 8, and the next page only when the store
   * crosses into it (rare: most stores are aligned).
   */
  private void mark(int addr, int size) {
    if (tracking) {
      int page = addr >>> TRACK_SHIFT;
      if (page != lastMarked) {
        dirty[page] = 1;
        dirtyBlocks[page >>> BLOCK_SHIFT] = 1;
        lastMarked = page;
      }
      if ((addr & (TRACK_PAGE_SIZE - 1)) > TRACK_PAGE_SIZE - size) {
        dirty[page + 1] = 1;
        dirtyBlocks[(page + 1) >>> BLOCK_SHIFT] = 1;
      }
    }
  }

  private void markRange(int addr, int size) {
    if (tracking && size > 0) {
      int first = addr >>> TRACK_SHIFT;
      int last = (int) (((long) addr + size - 1) >>> TRACK_SHIFT);
      Arrays.fill(dirty, first, last + 1, (byte) 1);
      Arrays.fill(dirtyBlocks, first >>> BLOCK_SHIFT, (last >>> BLOCK_SHIFT) + 1, (byte) 1);
    }
  }

  /** Number of 4 KiB pages in the memory now. */
  public int trackPages() {
    return pages * TRACK_PAGES_PER_WASM_PAGE;
  }

  /** Number of dirty 4 KiB pages. */
  public int dirtyCount() {
    return scanDirty(null);
  }

  /** Indices of the dirty 4 KiB pages, ascending. */
  public int[] dirtyPages() {
    int[] out = new int[scanDirty(null)];
    scanDirty(out);
    return out;
  }

  /**
   * Walks the marked blocks, eight block bytes at a time, and in each the pages, eight at a time
   * (each dirty byte is 0x01, so a bit count is a page count). Fills {@code out} with the dirty
   * pages in ascending order, or only counts them when it is null. Returns the count.
   */
  private int scanDirty(int[] out) {
    byte[] d = dirty;
    byte[] b = dirtyBlocks;
    int k = 0;
    for (int i = 0; i < b.length; i += 8) {
      long blocks = (long) LONG.get(b, i);
      while (blocks != 0) {
        int from = (i + (Long.numberOfTrailingZeros(blocks) >>> 3)) << BLOCK_SHIFT;
        int to = Math.min(from + BLOCK_PAGES, d.length);
        for (int p = from; p < to; p += 8) {
          long eight = (long) LONG.get(d, p);
          if (out == null) {
            k += Long.bitCount(eight);
            continue;
          }
          while (eight != 0) {
            out[k++] = p + (Long.numberOfTrailingZeros(eight) >>> 3);
            eight &= eight - 1;
          }
        }
        blocks &= blocks - 1;
      }
    }
    return k;
  }

  public boolean isDirty(int page) {
    return dirty[page] != 0;
  }

  /** Marks one 4 KiB page dirty (a capture that must be sent again). */
  public void markDirty(int page) {
    dirty[page] = 1;
    dirtyBlocks[page >>> BLOCK_SHIFT] = 1;
  }

  /** Forgets every dirty page: clears the marked blocks only. */
  public void clearDirty() {
    byte[] d = dirty;
    byte[] b = dirtyBlocks;
    for (int i = 0; i < b.length; i += 8) {
      long blocks = (long) LONG.get(b, i);
      if (blocks == 0) {
        continue;
      }
      while (blocks != 0) {
        int from = (i + (Long.numberOfTrailingZeros(blocks) >>> 3)) << BLOCK_SHIFT;
        if (from < d.length) {
          Arrays.fill(d, from, Math.min(from + BLOCK_PAGES, d.length), (byte) 0);
        }
        blocks &= blocks - 1;
      }
      LONG.set(b, i, 0L);
    }
    lastMarked = -1;
  }

  /** Marks every page dirty (used after a restore into a memory that later becomes a primary). */
  public void markAllDirty() {
    markRange(0, pages * PAGE_SIZE);
  }

  // ---- whole-page access for checkpoints ------------------------------------------------------

  /** Copies 4 KiB page {@code page} into {@code dst} at {@code offset}. */
  public void readPage(int page, byte[] dst, int offset) {
    System.arraycopy(buffer, page << TRACK_SHIFT, dst, offset, TRACK_PAGE_SIZE);
  }

  /** Overwrites 4 KiB page {@code page} without marking it dirty (restores only). */
  public void restorePage(int page, byte[] src, int offset) {
    System.arraycopy(src, offset, buffer, page << TRACK_SHIFT, TRACK_PAGE_SIZE);
  }

  /**
   * Sets the size to exactly {@code wasmPages}, growing with zeros or shrinking. Used when a
   * checkpoint is applied: the secondary's memory may have grown differently from the primary's.
   */
  public void resize(int wasmPages) {
    if (wasmPages < 0 || wasmPages > maximumPages()) {
      throw new IllegalArgumentException(
          "memory of " + wasmPages + " pages is beyond this VM's limit of " + maximumPages());
    }
    if (wasmPages != pages) {
      if (wasmPages < pages) {
        shrunkFrom = Math.max(shrunkFrom, pages);
      }
      buffer = Arrays.copyOf(buffer, wasmPages * PAGE_SIZE);
      dirty = Arrays.copyOf(dirty, wasmPages * TRACK_PAGES_PER_WASM_PAGE);
      dirtyBlocks = Arrays.copyOf(dirtyBlocks, blocksFor(dirty.length));
      pages = wasmPages;
      lastMarked = -1;
    }
  }

  /** SHA-256 of the whole linear memory (verification: replicas compare digests). */
  public byte[] digest() {
    try {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      sha.update(buffer, 0, pages * PAGE_SIZE);
      return sha.digest();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Copies 4 KiB page {@code page} from any thread, racily: the copy may be torn if the VM writes
   * the page meanwhile, but such a page is dirty again and sent again (live pre-copy). Returns
   * false if the page is beyond the memory now.
   */
  public boolean readPageRacy(int page, byte[] dst, int offset) {
    byte[] b = buffer;
    int at = page << TRACK_SHIFT;
    if (at < 0 || at + TRACK_PAGE_SIZE > b.length) {
      return false;
    }
    System.arraycopy(b, at, dst, offset, TRACK_PAGE_SIZE);
    return true;
  }

  /**
   * The backing array, after checking that {@code [addr, addr + len)} is inside the memory (the
   * bytes are at index {@code addr}): for a host call that hands the guest's bytes to a consumer
   * that reads or copies them before it returns (a disk write), without copying them first. Read
   * only (a write through it would not be tracked), not kept (a grow replaces it).
   *
   * @throws WasmRuntimeException if the range is outside the memory (the guest traps)
   */
  public byte[] arrayFor(int addr, int len) {
    checkBounds(addr, len);
    return buffer;
  }

  /** The backing array (read-only use: hashing, tests). */
  public byte[] buffer() {
    return buffer;
  }

  // ---- Memory: sizes ----------------------------------------------------------------------------

  @Override
  public int pages() {
    return pages;
  }

  @Override
  public int grow(int delta) {
    int previous = pages;
    long wanted = (long) previous + delta;
    if (delta < 0 || wanted > maximumPages()) {
      return -1;
    }
    if (delta > 0) {
      buffer = Arrays.copyOf(buffer, (int) wanted * PAGE_SIZE);
      dirty = Arrays.copyOf(dirty, (int) wanted * TRACK_PAGES_PER_WASM_PAGE);
      dirtyBlocks = Arrays.copyOf(dirtyBlocks, blocksFor(dirty.length));
      pages = (int) wanted;
      int regrown = Math.min(pages, shrunkFrom) - previous;
      if (regrown > 0) {
        markRange(previous * PAGE_SIZE, regrown * PAGE_SIZE);
      }
    }
    return previous;
  }

  @Override
  public int initialPages() {
    return limits.initialPages();
  }

  @Override
  public int maximumPages() {
    return Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
  }

  @Override
  public boolean shared() {
    return false;
  }

  // ---- Memory: initialisation -------------------------------------------------------------------

  @Override
  public void initialize(Instance instance, DataSegment[] segments) {
    this.dataSegments = segments == null ? new DataSegment[0] : segments;
    for (DataSegment s : dataSegments) {
      if (s instanceof ActiveDataSegment a) {
        int offset = activeOffset(a);
        byte[] data = a.data();
        if (offset < 0 || (long) offset + data.length > (long) pages * PAGE_SIZE) {
          throw new UninstantiableException("data segment out of bounds of memory");
        }
        write(offset, data, 0, data.length);
      } else if (!(s instanceof PassiveDataSegment)) {
        throw new ChicoryException("unknown data segment kind: " + s);
      }
    }
  }

  private static int activeOffset(ActiveDataSegment a) {
    var expr = a.offsetInstructions();
    if (expr.size() >= 1 && expr.get(0).opcode() == OpCode.I32_CONST) {
      return (int) expr.get(0).operand(0);
    }
    throw new UninstantiableException(
        "data segment offsets must be i32.const in guest ABI v1, got " + expr);
  }

  @Override
  public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
    byte[] data = dataSegments[segmentId] == null ? new byte[0] : dataSegments[segmentId].data();
    if (offset < 0 || size < 0 || (long) offset + size > data.length) {
      throw new WasmRuntimeException("out of bounds memory access");
    }
    write(dest, data, offset, size);
  }

  @Override
  public void drop(int segment) {
    if (segment >= 0 && segment < dataSegments.length) {
      dataSegments[segment] = new PassiveDataSegment(new byte[0]);
    }
  }

  // ---- Memory: bulk
  // ------------------------------------------------------------------------------

  private void checkBounds(int addr, int size) {
    if (addr < 0 || size < 0 || (long) addr + size > buffer.length) {
      throw oob(addr, size);
    }
  }

  private WasmRuntimeException oob(int addr, int size) {
    return new WasmRuntimeException(
        "out of bounds memory access: address "
            + Integer.toUnsignedString(addr)
            + " size "
            + size
            + " limit "
            + buffer.length);
  }

  @Override
  public void write(int addr, byte[] data, int offset, int size) {
    checkBounds(addr, size);
    System.arraycopy(data, offset, buffer, addr, size);
    markRange(addr, size);
  }

  @Override
  public byte[] readBytes(int addr, int len) {
    checkBounds(addr, len);
    return Arrays.copyOfRange(buffer, addr, addr + len);
  }

  /** Copies {@code len} bytes at {@code addr} into {@code dst} without allocating. */
  public void read(int addr, byte[] dst, int offset, int len) {
    checkBounds(addr, len);
    System.arraycopy(buffer, addr, dst, offset, len);
  }

  @Override
  public void zero() {
    Arrays.fill(buffer, (byte) 0);
    markRange(0, buffer.length);
  }

  @Override
  public void fill(byte value, int fromIndex, int toIndex) {
    int size = toIndex - fromIndex;
    checkBounds(fromIndex, size);
    Arrays.fill(buffer, fromIndex, toIndex, value);
    markRange(fromIndex, size);
  }

  @Override
  public void copy(int dest, int src, int size) {
    checkBounds(src, size);
    checkBounds(dest, size);
    System.arraycopy(buffer, src, buffer, dest, size);
    markRange(dest, size);
  }

  // ---- Memory: scalar reads
  // ----------------------------------------------------------------------

  @Override
  public byte read(int addr) {
    try {
      return buffer[addr];
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 1);
    }
  }

  @Override
  public int readInt(int addr) {
    try {
      return (int) INT.get(buffer, addr);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 4);
    }
  }

  @Override
  public long readLong(int addr) {
    try {
      return (long) LONG.get(buffer, addr);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 8);
    }
  }

  @Override
  public short readShort(int addr) {
    try {
      return (short) SHORT.get(buffer, addr);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 2);
    }
  }

  @Override
  public long readU16(int addr) {
    return readShort(addr) & 0xffffL;
  }

  @Override
  public long readF32(int addr) {
    return readInt(addr);
  }

  @Override
  public float readFloat(int addr) {
    try {
      return (float) FLOAT.get(buffer, addr);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 4);
    }
  }

  @Override
  public long readF64(int addr) {
    return readLong(addr);
  }

  @Override
  public double readDouble(int addr) {
    try {
      return (double) DOUBLE.get(buffer, addr);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 8);
    }
  }

  // ---- Memory: scalar writes (each marks its page) ----------------------------------------------

  @Override
  public void writeByte(int addr, byte data) {
    try {
      buffer[addr] = data;
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 1);
    }
    if (tracking) {
      int page = addr >>> TRACK_SHIFT;
      if (page != lastMarked) {
        dirty[page] = 1;
        dirtyBlocks[page >>> BLOCK_SHIFT] = 1;
        lastMarked = page;
      }
    }
  }

  @Override
  public void writeShort(int addr, short data) {
    try {
      SHORT.set(buffer, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 2);
    }
    mark(addr, 2);
  }

  @Override
  public void writeI32(int addr, int data) {
    try {
      INT.set(buffer, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 4);
    }
    mark(addr, 4);
  }

  @Override
  public void writeLong(int addr, long data) {
    try {
      LONG.set(buffer, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 8);
    }
    mark(addr, 8);
  }

  @Override
  public void writeF32(int addr, float data) {
    try {
      FLOAT.set(buffer, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 4);
    }
    mark(addr, 4);
  }

  @Override
  public void writeF64(int addr, double data) {
    try {
      DOUBLE.set(buffer, addr, data);
    } catch (IndexOutOfBoundsException e) {
      throw oob(addr, 8);
    }
    mark(addr, 8);
  }

  // ---- Memory: threads (unsupported: guests are single-threaded, memories unshared) -------------

  @Override
  @Deprecated
  public Object lock(int address) {
    return this;
  }

  @Override
  public int waitOn(int address, int expected, long timeout) {
    throw new ChicoryException("atomic wait on a non-shared memory");
  }

  @Override
  public int waitOn(int address, long expected, long timeout) {
    throw new ChicoryException("atomic wait on a non-shared memory");
  }

  @Override
  public int notify(int address, int maxThreads) {
    return 0;
  }
}
