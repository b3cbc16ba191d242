package dev.coloha.agent.disk;

import dev.coloha.api.mirror.VolumeRole;
import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.block.BlockClient;
import dev.coloha.wire.block.MirrorUnavailableException;
import dev.coloha.wire.block.WriteBehind;
import java.io.IOException;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A paired VM's virtual disk on this host's disk mirror (docs/disk-mirror.md): every read, write,
 * flush and barrier goes over one persistent I/O stream ({@link BlockClient}: loopback HTTP, or the
 * mirror's Unix-domain socket), not an HTTP request per block. Writes are written behind ({@link
 * WriteBehind}): a write returns once it is queued on the stream; a read sees the VM's earlier
 * writes; a flush returns when they are durable per the mirror's flush policy; a barrier when they
 * are on the primary's mirror and queued for the secondary. A write that fails after it returned
 * fails the next flush or barrier and every operation after it (the disk has failed).
 *
 * <p>On the primary the VM's checkpoint capture calls {@link #barrier(long)} at the pause. On the
 * secondary the replication code calls {@link #commit(long)} while the VM is paused for the apply
 * of checkpoint N, and {@link #failover(long)} when it takes over. Its overlay writes take the same
 * write-behind path as the primary's writes, but are held until the commit that discards them (up
 * to {@code colo.agent.mirror.secondary-hold-bytes}; its flushes send none); the failover sends
 * them first.
 *
 * <p>Block operations report a mirror's typed error as a {@link MirrorIOException} (the guest sees
 * a disk error; the cause says why). A stream that broke while no write was in flight is reopened
 * on the next operation. Called from the VM's thread; commit and failover from the replication code
 * while the VM is paused.
 */
public final class MirrorBlockDevice implements BlockDevice {
  private static final Logger log = LoggerFactory.getLogger(MirrorBlockDevice.class);

  private final String volume;
  private final WriteBehind disk;
  private volatile long epoch;

  private MirrorBlockDevice(
      URI mirror,
      String volume,
      long epoch,
      BlockClient.Options options,
      WriteBehind.Limits limits) {
    this.volume = volume;
    this.epoch = epoch;
    boolean[] first = {true};
    this.disk =
        new WriteBehind(
            () -> {
              if (!first[0]) {
                log.info(
                    "reconnecting volume {} to the mirror at {} (epoch {})",
                    volume,
                    mirror,
                    this.epoch);
              }
              first[0] = false;
              BlockClient c = BlockClient.connect(mirror, volume, this.epoch, options);
              this.epoch = c.epoch();
              return c;
            },
            limits);
  }

  /**
   * Attaches to {@code volume} on the mirror at {@code mirror} (this host's: {@code
   * http://127.0.0.1:7702}, or its socket {@code unix:/path/io.sock}) in {@code epoch}.
   *
   * @param limits bounds of the write-behind queue
   * @throws dev.coloha.wire.StaleEpochException if the volume is in a newer epoch
   * @throws dev.coloha.wire.block.VolumeNotFoundException if there is no such volume
   * @throws MirrorUnavailableException if the mirror cannot be reached
   */
  public static MirrorBlockDevice open(
      URI mirror,
      String volume,
      long epoch,
      BlockClient.Options options,
      WriteBehind.Limits limits) {
    return new MirrorBlockDevice(mirror, volume, epoch, options, limits);
  }

  /**
   * As {@link #open(URI, String, long, BlockClient.Options, WriteBehind.Limits)}, default queue.
   */
  public static MirrorBlockDevice open(
      URI mirror, String volume, long epoch, BlockClient.Options options) {
    return open(
        mirror,
        volume,
        epoch,
        options,
        WriteBehind.Limits.defaults().withTimeout(options.requestTimeout()));
  }

  public String volume() {
    return volume;
  }

  /** The epoch this device works in (a failover moves it on). */
  public long epoch() {
    return epoch;
  }

  /** The volume's role when the stream was (re)opened. */
  public VolumeRole role() {
    return disk.role();
  }

  /** Writes queued and not yet acknowledged by the mirror. */
  public int pendingWrites() {
    return disk.pendingWrites();
  }

  @Override
  public long sizeBytes() {
    return disk.sizeBytes();
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
    try {
      disk.read(offset, dst, dstOffset, length);
    } catch (ColoException e) {
      throw new MirrorIOException("disk read at " + offset, e);
    }
  }

  @Override
  public void write(long offset, byte[] src, int srcOffset, int length) throws IOException {
    try {
      disk.write(offset, src, srcOffset, length);
    } catch (ColoException e) {
      throw new MirrorIOException("disk write at " + offset, e);
    }
  }

  @Override
  public void flush() throws IOException {
    try {
      disk.flush();
    } catch (ColoException e) {
      throw new MirrorIOException("disk flush", e);
    }
  }

  /**
   * Marks disk barrier {@code n} on the primary: the writes before it belong to checkpoint n.
   * Returns once every earlier write is on the mirror and queued for the secondary; fails if any of
   * them failed.
   */
  @Override
  public void barrier(long n) throws IOException {
    try {
      disk.barrier(n);
    } catch (ColoException e) {
      throw new MirrorIOException("disk barrier " + n, e);
    }
  }

  /**
   * Commits barrier {@code n} on the secondary: the primary's writes up to barrier n enter the
   * image, the VM's own writes since the last commit are discarded. Waits on the mirror until
   * barrier n has arrived from the primary (at most {@code colo.mirror.secondary.commit-timeout}).
   *
   * <p>Call it with the VM paused, right before applying checkpoint n (pause, commit, apply,
   * start): a commit that fails changes nothing, so the checkpoint can be discarded whole.
   *
   * @return the committed barrier
   * @throws ColoException typed: {@code barrier-order} (n is older than the last commit, or the
   *     primary never marked it), {@code timeout}, {@code stale-epoch}, {@code volume-state}
   */
  @Override
  public void commitCheckpoint(long n) {
    commit(n);
  }

  @Override
  public void failOver(long newEpoch) {
    failover(newEpoch);
  }

  public long commit(long n) {
    return disk.commit(n);
  }

  /**
   * Promotes the secondary's volume to primary in {@code newEpoch}: the primary's writes after the
   * last committed barrier are discarded and the VM's own writes become part of the image. From now
   * on this device works in {@code newEpoch}.
   */
  public void failover(long newEpoch) {
    disk.failover(newEpoch);
    epoch = newEpoch;
  }

  @Override
  public void close() {
    disk.close();
  }
}
