package dev.coloha.microvm.wasi.fs;

import dev.coloha.microvm.device.BlockDevice;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.frame.Payload;
import dev.coloha.wire.frame.PayloadBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.zip.CRC32C;

/**
 * The file system of a WASI guest's {@code /data}, on the VM's virtual block device
 * (docs/guest-abi.md, "Files under /data"). Sector = block = 512 bytes. Sectors 0 and 1 hold two
 * superblocks; the metadata ({@link FileTree}: names, sizes, extents) is written copy-on-write as
 * one image into free sectors at the top of the device, file data goes to sectors from the bottom.
 *
 * <p>Metadata changes live in the host's memory (this object; a checkpoint carries them) until a
 * {@link #sync()}: the image is written to sectors neither the live nor the durable tree uses, the
 * device is flushed, the next superblock (generation + 1, slot generation % 2) is written and the
 * device flushed again. A crash at any point leaves the previous or the new tree; sectors the
 * durable tree uses are never reallocated before the next sync. File data is written in place,
 * through the device (so the disk mirror replicates it like any guest write); data written since
 * the last sync may or may not survive a crash, as with any file system without fsync.
 *
 * <p>Not thread-safe: the VM's thread only.
 *
 * <p>Over 400 lines on purpose: allocation, the copy-on-write metadata and the two-superblock sync
 * share one picture of free space (the sectors the live and the durable tree use), whose rules are
 * the file system's crash safety; the tree itself is FileTree.
 */
public final class DataFileSystem {
  public static final int SECTOR = BlockDevice.SECTOR_SIZE;
  static final byte[] MAGIC = "COLOFS01".getBytes(StandardCharsets.US_ASCII);
  static final int LAYOUT_VERSION = 1;

  /** The largest device request the file system makes. */
  static final int MAX_IO = 64 * 1024;

  private static final int STATE_VERSION = 1;

  /** What {@code fd_filestat_get} shows. */
  public record Stat(int inode, boolean dir, long size) {}

  /** One directory entry. */
  public record Entry(String name, int inode, boolean dir) {}

  private final BlockDevice device;
  private final long sectors;
  private FileTree live;
  private FileTree durable;
  private long generation;
  private long imageStart;
  private int imageSectors;
  private boolean dirty;
  private String failed;

  /** Sectors the live tree's files use. */
  private final BitSet liveUsed = new BitSet();

  /** Sectors the durable tree's files and image use, and the superblocks. */
  private final BitSet durableUsed = new BitSet();

  private DataFileSystem(BlockDevice device) {
    this.device = device;
    this.sectors = device.sizeBytes() / SECTOR;
  }

  // ---- mount, format, checkpoint state ---------------------------------------------------------

  /**
   * Mounts the file system on {@code device}: the valid superblock of the highest generation and
   * its metadata image; a blank device (both superblock sectors zero) is formatted first. Files
   * unlinked while open before the crash are dropped (at the next sync on the disk).
   */
  public static DataFileSystem mount(BlockDevice device) throws FsException {
    DataFileSystem fs = new DataFileSystem(device);
    if (fs.sectors < 8) {
      throw new FsException(FsErrno.NOSPC, "the disk is too small for a file system");
    }
    byte[] supers = new byte[2 * SECTOR];
    fs.deviceRead(0, supers, 0, supers.length);
    Superblock best = null;
    for (int slot = 0; slot < 2; slot++) {
      Superblock s = Superblock.decode(supers, slot * SECTOR, fs.sectors);
      if (s != null && (best == null || s.generation() > best.generation())) {
        best = s;
      }
    }
    if (best == null) {
      if (!allZero(supers)) {
        throw new FsException(FsErrno.IO, "the disk holds no valid COLO file system superblock");
      }
      fs.live = FileTree.empty();
      fs.durable = FileTree.empty();
      fs.durableUsed.set(0, 2);
      fs.dirty = true;
      fs.sync();
      return fs;
    }
    byte[] image = new byte[best.imageSectors() * SECTOR];
    fs.deviceRead(best.imageStart() * SECTOR, image, 0, image.length);
    CRC32C crc = new CRC32C();
    crc.update(image, 0, best.imageLength());
    if ((int) crc.getValue() != best.imageCrc()) {
      throw new FsException(FsErrno.IO, "the file system's metadata image is corrupt");
    }
    try {
      fs.durable =
          FileTree.decode(new Payload(Arrays.copyOf(image, best.imageLength())), fs.sectors);
    } catch (CorruptStreamException e) {
      throw new FsException(FsErrno.IO, "the file system's metadata is corrupt: " + e.getMessage());
    }
    fs.generation = best.generation();
    fs.imageStart = best.imageStart();
    fs.imageSectors = best.imageSectors();
    fs.live = fs.durable.copy();
    fs.recount();
    for (Inode orphan : fs.live.orphans()) {
      fs.drop(orphan);
    }
    return fs;
  }

  /** The file system as a checkpoint carries it (host memory: live and durable trees). */
  public byte[] state() {
    byte[] l = live.encode();
    byte[] d = durable.encode();
    PayloadBuilder b = new PayloadBuilder(48 + l.length + d.length);
    b.u8(STATE_VERSION).i64(generation).i64(imageStart).i32(imageSectors).u8(dirty ? 1 : 0);
    b.i32(l.length).bytes(l).i32(d.length).bytes(d);
    return b.toByteArray();
  }

  /**
   * The file system of a checkpoint, on this VM's device (whose disk is the checkpoint's barrier).
   *
   * @throws CorruptStreamException if the state is not one this host understands
   */
  public static DataFileSystem restore(BlockDevice device, byte[] state) {
    DataFileSystem fs = new DataFileSystem(device);
    Payload p = new Payload(state);
    int version = p.u8();
    if (version != STATE_VERSION) {
      throw new CorruptStreamException("file system state version " + version);
    }
    fs.generation = p.i64();
    fs.imageStart = p.i64();
    fs.imageSectors = p.i32();
    fs.dirty = p.u8() == 1;
    fs.live = FileTree.decode(new Payload(p.bytes(p.count("tree bytes", 1 << 28))), fs.sectors);
    fs.durable = FileTree.decode(new Payload(p.bytes(p.count("tree bytes", 1 << 28))), fs.sectors);
    p.end();
    if (fs.imageStart < 2 || fs.imageStart + fs.imageSectors > fs.sectors) {
      throw new CorruptStreamException("file system image outside the device");
    }
    fs.recount();
    return fs;
  }

  private void recount() {
    liveUsed.clear();
    durableUsed.clear();
    live.forEachRun(e -> liveUsed.set((int) e.diskSector(), (int) e.diskEnd()));
    durable.forEachRun(e -> durableUsed.set((int) e.diskSector(), (int) e.diskEnd()));
    durableUsed.set(0, 2);
    durableUsed.set((int) imageStart, (int) (imageStart + imageSectors));
  }

  // ---- durability ---------------------------------------------------------------------------

  /**
   * Makes every earlier change durable: the metadata (when it changed) and the data written so far.
   * {@code fd_sync}, {@code fd_datasync}, on any file or directory.
   */
  public void sync() throws FsException {
    checkHealthy();
    if (!dirty) {
      deviceFlush();
      return;
    }
    byte[] image = live.encode();
    int n = (image.length + SECTOR - 1) / SECTOR;
    long start = findImageRun(n);
    byte[] padded = Arrays.copyOf(image, n * SECTOR);
    deviceWrite(start * SECTOR, padded, 0, padded.length);
    deviceFlush();
    CRC32C crc = new CRC32C();
    crc.update(image);
    long next = generation + 1;
    byte[] sb =
        new Superblock(next, sectors, start, n, image.length, (int) crc.getValue()).encode();
    deviceWrite((next % 2) * SECTOR, sb, 0, SECTOR);
    deviceFlush();
    generation = next;
    imageStart = start;
    imageSectors = n;
    durable = live.copy();
    dirty = false;
    durableUsed.clear();
    durableUsed.or(liveUsed);
    durableUsed.set(0, 2);
    durableUsed.set((int) imageStart, (int) (imageStart + imageSectors));
  }

  private long findImageRun(int n) throws FsException {
    long run = 0;
    for (long s = sectors - 1; s >= 2; s--) {
      if (free(s)) {
        if (++run == n) {
          return s;
        }
      } else {
        run = 0;
      }
    }
    throw new FsException(FsErrno.NOSPC, "no room for the file system's metadata");
  }

  private boolean free(long s) {
    return !liveUsed.get((int) s) && !durableUsed.get((int) s);
  }

  public long generation() {
    return generation;
  }

  // ---- names --------------------------------------------------------------------------------

  private record Place(Inode dir, String name, boolean mustBeDir) {}

  /** The directory and last name of {@code path} below directory {@code base}. */
  private Place place(int base, String path) throws FsException {
    if (path.isEmpty()) {
      throw new FsException(FsErrno.NOENT, "empty path");
    }
    if (path.startsWith("/")) {
      throw new FsException(FsErrno.NOTCAPABLE, "absolute path");
    }
    boolean mustBeDir = path.endsWith("/");
    String[] parts = path.split("/");
    Inode at = dirInode(base);
    String last = null;
    List<String> names = new ArrayList<>();
    for (String s : parts) {
      if (!s.isEmpty()) {
        names.add(s);
      }
    }
    if (names.isEmpty()) {
      names.add(".");
    }
    for (int k = 0; k < names.size(); k++) {
      String s = names.get(k);
      if (s.getBytes(StandardCharsets.UTF_8).length > FileTree.MAX_NAME_BYTES) {
        throw new FsException(FsErrno.NAMETOOLONG, "name too long");
      }
      if (k == names.size() - 1) {
        last = s;
        break;
      }
      at = step(at, s);
    }
    return new Place(at, last, mustBeDir);
  }

  private Inode step(Inode dir, String name) throws FsException {
    if (name.equals(".")) {
      return dir;
    }
    if (name.equals("..")) {
      if (dir.id == FileTree.ROOT) {
        throw new FsException(FsErrno.NOTCAPABLE, "path leaves the directory");
      }
      return live.get(dir.parent);
    }
    Inode next = live.lookup(dir.id, name);
    if (next == null) {
      throw new FsException(FsErrno.NOENT, name);
    }
    if (!next.dir) {
      throw new FsException(FsErrno.NOTDIR, name);
    }
    return next;
  }

  private Inode dirInode(int id) throws FsException {
    Inode i = live.get(id);
    if (i == null) {
      throw new FsException(FsErrno.BADF, "no such inode");
    }
    if (!i.dir) {
      throw new FsException(FsErrno.NOTDIR, "not a directory");
    }
    if (i.parent == Inode.ORPHAN && i.id != FileTree.ROOT) {
      throw new FsException(FsErrno.NOENT, "directory removed");
    }
    return i;
  }

  /** The inode {@code path} names below {@code base}, or null when its last name is absent. */
  private Inode find(Place p) throws FsException {
    Inode i =
        p.name.equals(".") || p.name.equals("..")
            ? step(p.dir, p.name)
            : live.lookup(p.dir.id, p.name);
    if (i != null && p.mustBeDir && !i.dir) {
      throw new FsException(FsErrno.NOTDIR, p.name);
    }
    return i;
  }

  private static boolean special(String name) {
    return name.equals(".") || name.equals("..");
  }

  // ---- operations on names -------------------------------------------------------------------

  /**
   * {@code path_open}: the inode of {@code path} below {@code base}, created (a file) when absent
   * and {@code create}; {@code exclusive} refuses an existing one; {@code truncate} empties a file;
   * {@code directory} refuses anything but a directory.
   */
  public Stat open(
      int base, String path, boolean create, boolean exclusive, boolean truncate, boolean directory)
      throws FsException {
    checkHealthy();
    Place p = place(base, path);
    Inode i = find(p);
    if (i == null) {
      if (!create) {
        throw new FsException(FsErrno.NOENT, path);
      }
      if (directory || p.mustBeDir) {
        throw new FsException(FsErrno.INVAL, "cannot create a directory with open");
      }
      i = live.create(p.dir.id, p.name, false);
      dirty = true;
    } else {
      if (create && exclusive) {
        throw new FsException(FsErrno.EXIST, path);
      }
      if (directory && !i.dir) {
        throw new FsException(FsErrno.NOTDIR, path);
      }
      if (truncate) {
        if (i.dir) {
          throw new FsException(FsErrno.ISDIR, path);
        }
        resize(i, 0);
      }
    }
    return stat(i);
  }

  public Stat statPath(int base, String path) throws FsException {
    checkHealthy();
    Inode i = find(place(base, path));
    if (i == null) {
      throw new FsException(FsErrno.NOENT, path);
    }
    return stat(i);
  }

  public Stat stat(int inode) throws FsException {
    Inode i = live.get(inode);
    if (i == null) {
      throw new FsException(FsErrno.BADF, "no such inode");
    }
    return stat(i);
  }

  private static Stat stat(Inode i) {
    return new Stat(i.id, i.dir, i.dir ? 0 : i.size);
  }

  public void mkdir(int base, String path) throws FsException {
    checkHealthy();
    Place p = place(base, path);
    if (special(p.name) || live.lookup(p.dir.id, p.name) != null) {
      throw new FsException(FsErrno.EXIST, path);
    }
    live.create(p.dir.id, p.name, true);
    dirty = true;
  }

  /**
   * {@code path_unlink_file}: the name goes; a file still open ({@code open} says so) stays as an
   * orphan until {@link #release}.
   */
  public void unlink(int base, String path, IntPredicate open) throws FsException {
    checkHealthy();
    Place p = place(base, path);
    Inode i = special(p.name) ? null : live.lookup(p.dir.id, p.name);
    if (i == null) {
      throw new FsException(special(p.name) ? FsErrno.ISDIR : FsErrno.NOENT, path);
    }
    if (i.dir) {
      throw new FsException(FsErrno.ISDIR, path);
    }
    if (p.mustBeDir) {
      throw new FsException(FsErrno.NOTDIR, path);
    }
    gone(i, open);
    dirty = true;
  }

  public void rmdir(int base, String path, IntPredicate open) throws FsException {
    checkHealthy();
    Place p = place(base, path);
    if (special(p.name)) {
      throw new FsException(FsErrno.INVAL, path);
    }
    Inode i = live.lookup(p.dir.id, p.name);
    if (i == null) {
      throw new FsException(FsErrno.NOENT, path);
    }
    if (!i.dir) {
      throw new FsException(FsErrno.NOTDIR, path);
    }
    if (!live.isEmptyDir(i.id)) {
      throw new FsException(FsErrno.NOTEMPTY, path);
    }
    gone(i, open);
    dirty = true;
  }

  private void gone(Inode i, IntPredicate open) {
    if (open.test(i.id)) {
      live.detach(i);
    } else {
      drop(i);
    }
  }

  /** The last descriptor of {@code inode} closed: an orphan goes. */
  public void release(int inode) {
    Inode i = live.get(inode);
    if (i != null && i.id != FileTree.ROOT && i.parent == Inode.ORPHAN) {
      drop(i);
      dirty = true;
    }
  }

  private void drop(Inode i) {
    i.unmapFrom(0, (s, n) -> liveUsed.clear((int) (long) s, (int) (s + n)));
    live.remove(i);
    dirty = true;
  }

  /** {@code path_rename}: a file replaces a file, a directory an empty directory. */
  public void rename(int fromBase, String from, int toBase, String to, IntPredicate open)
      throws FsException {
    checkHealthy();
    Place a = place(fromBase, from);
    Place b = place(toBase, to);
    if (special(a.name) || special(b.name)) {
      throw new FsException(FsErrno.INVAL, "cannot rename . or ..");
    }
    Inode src = live.lookup(a.dir.id, a.name);
    if (src == null) {
      throw new FsException(FsErrno.NOENT, from);
    }
    if ((a.mustBeDir || b.mustBeDir) && !src.dir) {
      throw new FsException(FsErrno.NOTDIR, from);
    }
    Inode dst = live.lookup(b.dir.id, b.name);
    if (dst == src) {
      return;
    }
    if (src.dir && live.within(b.dir.id, src.id)) {
      throw new FsException(FsErrno.INVAL, "cannot move a directory below itself");
    }
    if (dst != null) {
      if (dst.dir && !src.dir) {
        throw new FsException(FsErrno.ISDIR, to);
      }
      if (!dst.dir && src.dir) {
        throw new FsException(FsErrno.NOTDIR, to);
      }
      if (dst.dir && !live.isEmptyDir(dst.id)) {
        throw new FsException(FsErrno.NOTEMPTY, to);
      }
      gone(dst, open);
    }
    live.detach(src);
    live.attach(src, b.dir.id, b.name);
    dirty = true;
  }

  public List<Entry> list(int dir) throws FsException {
    checkHealthy();
    List<Entry> out = new ArrayList<>();
    for (Inode i : live.list(dirInode(dir).id)) {
      out.add(new Entry(i.name, i.id, i.dir));
    }
    return out;
  }

  /** The parent of a directory (the root's is itself). */
  public int parent(int dir) throws FsException {
    Inode i = dirInode(dir);
    return i.id == FileTree.ROOT ? i.id : i.parent;
  }

  public boolean exists(int inode) {
    return live.get(inode) != null;
  }

  // ---- data ---------------------------------------------------------------------------------

  private Inode file(int inode) throws FsException {
    checkHealthy();
    Inode i = live.get(inode);
    if (i == null) {
      throw new FsException(FsErrno.BADF, "no such inode");
    }
    if (i.dir) {
      throw new FsException(FsErrno.ISDIR, "a directory");
    }
    return i;
  }

  /** Reads up to {@code len} bytes at {@code pos}; the count read (0 at or past the end). */
  public int read(int inode, long pos, byte[] dst, int off, int len) throws FsException {
    Inode i = file(inode);
    if (pos < 0) {
      throw new FsException(FsErrno.INVAL, "negative offset");
    }
    if (pos >= i.size || len <= 0) {
      return 0;
    }
    int n = (int) Math.min(len, i.size - pos);
    long first = pos / SECTOR;
    long last = (pos + n - 1) / SECTOR;
    byte[] buf = new byte[(int) (last - first + 1) * SECTOR];
    readSectors(i, first, buf);
    System.arraycopy(buf, (int) (pos - first * SECTOR), dst, off, n);
    return n;
  }

  /** Reads file sectors {@code first..} into {@code buf} (holes as zeros), in device runs. */
  private void readSectors(Inode i, long first, byte[] buf) throws FsException {
    int count = buf.length / SECTOR;
    int k = 0;
    while (k < count) {
      long disk = i.diskSector(first + k);
      if (disk < 0) {
        k++; // a hole: zeros already
        continue;
      }
      int run = 1;
      while (k + run < count
          && run * SECTOR < MAX_IO
          && i.diskSector(first + k + run) == disk + run) {
        run++;
      }
      deviceRead(disk * SECTOR, buf, k * SECTOR, run * SECTOR);
      k += run;
    }
  }

  /** Writes {@code len} bytes at {@code pos}, growing the file as needed. */
  public void write(int inode, long pos, byte[] src, int off, int len) throws FsException {
    Inode i = file(inode);
    if (pos < 0) {
      throw new FsException(FsErrno.INVAL, "negative offset");
    }
    if (len <= 0) {
      return;
    }
    long end = pos + len;
    if (end / SECTOR >= Integer.MAX_VALUE || end > sectors * SECTOR) {
      throw new FsException(FsErrno.FBIG, "file too large");
    }
    long first = pos / SECTOR;
    long last = (end - 1) / SECTOR;
    int count = (int) (last - first + 1);
    byte[] buf = new byte[count * SECTOR];
    int head = (int) (pos - first * SECTOR);
    if (head != 0 && i.diskSector(first) >= 0) {
      deviceRead(i.diskSector(first) * SECTOR, buf, 0, SECTOR);
    }
    if ((end % SECTOR) != 0 && (count > 1 || head == 0) && i.diskSector(last) >= 0) {
      deviceRead(i.diskSector(last) * SECTOR, buf, (count - 1) * SECTOR, SECTOR);
    }
    System.arraycopy(src, off, buf, head, len);
    long hint = lastDiskSector(i);
    for (int k = 0; k < count; k++) {
      if (i.diskSector(first + k) < 0) {
        long s = allocate(hint + 1);
        if (i.extents.size() >= FileTree.MAX_EXTENTS / 16) {
          throw new FsException(FsErrno.NOSPC, "the file is too fragmented");
        }
        i.map(first + k, s);
        liveUsed.set((int) s);
        hint = s;
        dirty = true;
      }
    }
    int k = 0;
    while (k < count) {
      long disk = i.diskSector(first + k);
      int run = 1;
      while (k + run < count
          && run * SECTOR < MAX_IO
          && i.diskSector(first + k + run) == disk + run) {
        run++;
      }
      deviceWrite(disk * SECTOR, buf, k * SECTOR, run * SECTOR);
      k += run;
    }
    if (end > i.size) {
      i.size = end;
      dirty = true;
    }
  }

  private static long lastDiskSector(Inode i) {
    return i.extents.isEmpty() ? 1 : i.extents.getLast().diskEnd() - 1;
  }

  /** A free sector, the one after {@code hint} when it is free, else the lowest free. */
  private long allocate(long hint) throws FsException {
    if (hint >= 2 && hint < sectors && free(hint)) {
      return hint;
    }
    int s = 2;
    while (s < sectors) {
      s = liveUsed.nextClearBit(s);
      if (s >= sectors) {
        break;
      }
      if (!durableUsed.get(s)) {
        return s;
      }
      s = durableUsed.nextClearBit(s);
    }
    throw new FsException(FsErrno.NOSPC, "the disk is full");
  }

  /** {@code fd_filestat_set_size}. */
  public void truncate(int inode, long size) throws FsException {
    Inode i = file(inode);
    if (size < 0 || size > sectors * SECTOR) {
      throw new FsException(size < 0 ? FsErrno.INVAL : FsErrno.FBIG, "bad size " + size);
    }
    resize(i, size);
  }

  private void resize(Inode i, long size) throws FsException {
    if (size == i.size) {
      return;
    }
    if (size < i.size) {
      long keep = (size + SECTOR - 1) / SECTOR;
      i.unmapFrom(keep, (s, n) -> liveUsed.clear((int) (long) s, (int) (s + n)));
      int tail = (int) (size % SECTOR);
      long disk = tail == 0 ? -1 : i.diskSector(size / SECTOR);
      if (disk >= 0) {
        // bytes past the end of an allocated sector stay zero, so that a later growth reads zeros
        byte[] sector = new byte[SECTOR];
        deviceRead(disk * SECTOR, sector, 0, SECTOR);
        Arrays.fill(sector, tail, SECTOR, (byte) 0);
        deviceWrite(disk * SECTOR, sector, 0, SECTOR);
      }
    }
    i.size = size;
    dirty = true;
  }

  // ---- the device ---------------------------------------------------------------------------

  private void checkHealthy() throws FsException {
    if (failed != null) {
      throw new FsException(FsErrno.IO, "the disk failed: " + failed);
    }
  }

  private void deviceRead(long offset, byte[] dst, int off, int len) throws FsException {
    try {
      for (int done = 0; done < len; done += MAX_IO) {
        device.read(offset + done, dst, off + done, Math.min(MAX_IO, len - done));
      }
    } catch (IOException e) {
      throw fail(e);
    }
  }

  private void deviceWrite(long offset, byte[] src, int off, int len) throws FsException {
    try {
      for (int done = 0; done < len; done += MAX_IO) {
        device.write(offset + done, src, off + done, Math.min(MAX_IO, len - done));
      }
    } catch (IOException e) {
      throw fail(e);
    }
  }

  private void deviceFlush() throws FsException {
    try {
      device.flush();
    } catch (IOException e) {
      throw fail(e);
    }
  }

  private FsException fail(IOException e) {
    failed = String.valueOf(e.getMessage());
    return new FsException(FsErrno.IO, "disk I/O failed: " + e.getMessage());
  }

  private static boolean allZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  /** One of the two superblocks (sector 0 or 1). */
  record Superblock(
      long generation,
      long sectorCount,
      long imageStart,
      int imageSectors,
      int imageLength,
      int imageCrc) {
    /**
     * Layout (little-endian): 0 magic "COLOFS01" | 8 u32 layout version | 12 u32 sector size | 16
     * u64 generation | 24 u64 sector count | 32 u64 image start | 40 u32 image sectors | 44 u32
     * image length | 48 u32 CRC-32C of the image | 52..507 zero | 508 u32 CRC-32C of 0..507.
     */
    byte[] encode() {
      ByteBuffer b = ByteBuffer.allocate(SECTOR).order(ByteOrder.LITTLE_ENDIAN);
      b.put(MAGIC).putInt(LAYOUT_VERSION).putInt(SECTOR).putLong(generation).putLong(sectorCount);
      b.putLong(imageStart).putInt(imageSectors).putInt(imageLength).putInt(imageCrc);
      CRC32C crc = new CRC32C();
      crc.update(b.array(), 0, SECTOR - 4);
      b.putInt(SECTOR - 4, (int) crc.getValue());
      return b.array();
    }

    /** The superblock at {@code off}, or null when it is not a valid one for this device. */
    static Superblock decode(byte[] bytes, int off, long sectors) {
      ByteBuffer b = ByteBuffer.wrap(bytes, off, SECTOR).slice().order(ByteOrder.LITTLE_ENDIAN);
      CRC32C crc = new CRC32C();
      crc.update(bytes, off, SECTOR - 4);
      if ((int) crc.getValue() != b.getInt(SECTOR - 4)) {
        return null;
      }
      byte[] magic = new byte[8];
      b.get(magic);
      if (!Arrays.equals(magic, MAGIC) || b.getInt() != LAYOUT_VERSION || b.getInt() != SECTOR) {
        return null;
      }
      Superblock s =
          new Superblock(b.getLong(), b.getLong(), b.getLong(), b.getInt(), b.getInt(), b.getInt());
      if (s.sectorCount != sectors
          || s.imageStart < 2
          || s.imageSectors <= 0
          || s.imageStart + s.imageSectors > sectors
          || s.imageLength <= 0
          || s.imageLength > s.imageSectors * SECTOR) {
        return null;
      }
      return s;
    }
  }
}
