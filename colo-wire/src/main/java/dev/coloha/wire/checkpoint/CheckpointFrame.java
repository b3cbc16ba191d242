package dev.coloha.wire.checkpoint;

/** Frame types of the checkpoint format (file and stream alike). See docs/protocol.md. */
public final class CheckpointFrame {
  /** Magic, format version, identity and sizes. Always first. */
  public static final int HEADER = 0x01;

  /** A run of consecutive 4 KiB pages: u32 first page, u32 count, count * 4096 bytes. */
  public static final int PAGES = 0x02;

  /** Mutable globals. */
  public static final int GLOBALS = 0x03;

  /** Device state: connections, tombstones, timers, interval, disk barrier. */
  public static final int DEVICE = 0x04;

  /** Counts and the CRC-32C of every byte since the header. Always last. */
  public static final int TRAILER = 0x0f;

  /** "CKPT". */
  public static final int MAGIC = 0x434b5054;

  public static final int FORMAT_VERSION = 1;

  private CheckpointFrame() {}
}
