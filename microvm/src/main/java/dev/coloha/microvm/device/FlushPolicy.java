package dev.coloha.microvm.device;

/** What a guest's disk_flush does on a file-backed device. */
public enum FlushPolicy {
  /** fsync the image (data only) on every flush: durable against a host crash, slowest. */
  FSYNC,
  /**
   * The data is in the OS page cache at once (durable against a process crash) and fsynced in the
   * background at most one flush interval later (a host crash loses at most that much; Redis's
   * "appendfsync everysec"). The default.
   */
  INTERVAL,
  /** Leave it to the OS page cache: durable against a process crash only. */
  OS
}
