package dev.coloha.wire.block;

/** Constants of the block protocol. */
public final class BlockLimits {
  /** The sector: every offset and length is a multiple of it, and its write is atomic. */
  public static final int SECTOR_SIZE = 512;

  private BlockLimits() {}

  /** Whether {@code [offset, offset + length)} is sector-aligned and inside {@code size}. */
  public static boolean inRange(long offset, long length, long size) {
    return offset >= 0
        && length >= 0
        && offset % SECTOR_SIZE == 0
        && length % SECTOR_SIZE == 0
        && offset <= size
        && length <= size - offset;
  }
}
