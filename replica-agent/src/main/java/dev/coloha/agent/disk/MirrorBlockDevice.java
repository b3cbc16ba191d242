package dev.coloha.agent.disk;

import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.block.BlockClient;
import dev.coloha.wire.block.MirrorUnavailableException;
import dev.coloha.wire.block.VolumeRole;
import java.io.IOException;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A paired VM's virtual disk on this host's disk mirror (docs/disk-mirror.md): every read, write,
 * flush and barrier goes over one persistent I/O stream ({@link BlockClient}), not an HTTP request
 * per block. A write returns once the mirror has written it locally (and, on a primary, queued it
 * for the secondary).
 *
 * <p>On the primary the VM's checkpoint capture calls {@link #barrier(long)} at the pause. On the
 * secondary the replication code calls {@link #commit(long)} while the VM is paused for the apply
 * of checkpoint N, and {@link #failover(long)} when it takes over.
 *
 * <p>Block operations report a mirror's typed error as a {@link MirrorIOException} (the guest sees
 * a disk error; the cause says why). A broken connection is reopened on the next operation; the
 * operation in flight when it broke fails (it may or may not have been applied, like a disk request
 * interrupted by a crash). Called from the VM's thread; commit and failover from the replication
 * code while the VM is paused.
 */
public final class MirrorBlockDevice implements BlockDevice {
  private static final Logger log = LoggerFactory.getLogger(MirrorBlockDevice.class);

  private final URI mirror;
  private final String volume;
  private final BlockClient.Options options;
  private final long size;
  private volatile long epoch;
  private volatile BlockClient client;
  private volatile boolean closed;

  private MirrorBlockDevice(
      URI mirror, String volume, BlockClient.Options options, BlockClient client) {
    this.mirror = mirror;
    this.volume = volume;
    this.options = options;
    this.client = client;
    this.size = client.sizeBytes();
    this.epoch = client.epoch();
  }

  /**
   * Attaches to {@code volume} on the mirror at {@code mirror} (this host's, e.g. {@code
   * http://127.0.0.1:7702}) in {@code epoch}.
   *
   * @throws dev.coloha.wire.StaleEpochException if the volume is in a newer epoch
   * @throws dev.coloha.wire.block.VolumeNotFoundException if there is no such volume
   * @throws MirrorUnavailableException if the mirror cannot be reached
   */
  public static MirrorBlockDevice open(
      URI mirror, String volume, long epoch, BlockClient.Options options) {
    return new MirrorBlockDevice(
        mirror, volume, options, BlockClient.connect(mirror, volume, epoch, options));
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
    return client.role();
  }

  @Override
  public long sizeBytes() {
    return size;
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
    try {
      live().read(offset, dst, dstOffset, length);
    } catch (ColoException e) {
      throw new MirrorIOException("disk read at " + offset, e);
    }
  }

  @Override
  public void write(long offset, byte[] src, int srcOffset, int length) throws IOException {
    try {
      live().write(offset, src, srcOffset, length);
    } catch (ColoException e) {
      throw new MirrorIOException("disk write at " + offset, e);
    }
  }

  @Override
  public void flush() throws IOException {
    try {
      live().flush();
    } catch (ColoException e) {
      throw new MirrorIOException("disk flush", e);
    }
  }

  /** Marks disk barrier {@code n} on the primary: the writes before it belong to checkpoint n. */
  @Override
  public void barrier(long n) throws IOException {
    try {
      live().barrier(n);
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
    return live().commit(n);
  }

  /**
   * Promotes the secondary's volume to primary in {@code newEpoch}: the primary's writes after the
   * last committed barrier are discarded and the VM's own writes become part of the image. From now
   * on this device works in {@code newEpoch}.
   */
  public void failover(long newEpoch) {
    live().failover(newEpoch);
    epoch = newEpoch;
  }

  private BlockClient live() {
    BlockClient c = client;
    if (!c.isBroken()) {
      return c;
    }
    synchronized (this) {
      c = client;
      if (c.isBroken() && !closed) {
        log.info("reconnecting volume {} to the mirror at {} (epoch {})", volume, mirror, epoch);
        c = BlockClient.connect(mirror, volume, epoch, options);
        client = c;
      }
      return c;
    }
  }

  @Override
  public void close() {
    closed = true;
    client.close();
  }
}
