package dev.coloha.microvm.device;

import java.io.IOException;

/**
 * A VM's virtual block device: a fixed number of 512-byte sectors. The micro-VM checks alignment
 * and bounds before calling; implementations check again and fail with {@link IOException}.
 */
public interface BlockDevice extends AutoCloseable {
  int SECTOR_SIZE = 512;

  long sizeBytes();

  void read(long offset, byte[] dst, int dstOffset, int length) throws IOException;

  /**
   * Writes {@code length} bytes of {@code src} from {@code srcOffset}. The bytes are the caller's
   * only during the call: a device that keeps them (a write-behind queue) copies them before it
   * returns and never keeps {@code src}, which may be the VM's own memory (the {@code disk_write}
   * host call passes it uncopied, and the guest reuses its buffer right after).
   */
  void write(long offset, byte[] src, int srcOffset, int length) throws IOException;

  /** Makes every completed write durable, as the device's flush policy says. */
  void flush() throws IOException;

  /**
   * Marks disk barrier {@code n} at a checkpoint pause: writes before it belong to checkpoint n.
   * Only mirrored devices care.
   */
  default void barrier(long n) throws IOException {}

  /**
   * A secondary applies checkpoint {@code n}: the primary's writes up to barrier n become the disk,
   * the secondary's own writes since the previous checkpoint are dropped. Called at the apply's
   * pause, before anything else changes; if it fails, nothing is applied. Only mirrored devices
   * care.
   */
  default void commitCheckpoint(long n) throws IOException {}

  /**
   * A promoted secondary takes its disk over in {@code epoch}: its own writes since the last
   * checkpoint stay, the primary's later writes are dropped. Only mirrored devices care.
   */
  default void failOver(long epoch) throws IOException {}

  @Override
  void close() throws IOException;

  /** The device of a VM without a disk. */
  BlockDevice NONE =
      new BlockDevice() {
        @Override
        public long sizeBytes() {
          return 0;
        }

        @Override
        public void read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
          throw new IOException("no disk");
        }

        @Override
        public void write(long offset, byte[] src, int srcOffset, int length) throws IOException {
          throw new IOException("no disk");
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
}
