package dev.coloha.mirror.volume;

import java.util.BitSet;

/**
 * Chunks of a primary's image written while a resync copies it: they are copied again. Guarded by
 * the volume's lock.
 */
final class DirtyMap {
  private final int chunk;
  private final int chunks;
  private final BitSet bits;

  DirtyMap(long sizeBytes, int chunk) {
    this.chunk = chunk;
    this.chunks = (int) ((sizeBytes + chunk - 1) / chunk);
    this.bits = new BitSet(chunks);
  }

  int chunk() {
    return chunk;
  }

  int chunks() {
    return chunks;
  }

  void mark(long offset, int length) {
    if (length <= 0) {
      return;
    }
    int first = (int) (offset / chunk);
    int last = (int) ((offset + length - 1) / chunk);
    bits.set(first, last + 1);
  }

  void clear(int index) {
    bits.clear(index);
  }

  int count() {
    return bits.cardinality();
  }

  /** Every dirty chunk, in order; the map is clear afterwards. */
  int[] takeAll() {
    int[] out = bits.stream().toArray();
    bits.clear();
    return out;
  }
}
