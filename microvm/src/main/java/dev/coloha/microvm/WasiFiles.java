package dev.coloha.microvm;

import dev.coloha.microvm.memory.TrackedMemory;
import dev.coloha.microvm.wasi.Descriptor;
import dev.coloha.microvm.wasi.DescriptorTable;
import dev.coloha.microvm.wasi.WasiErrno;
import dev.coloha.microvm.wasi.fs.DataFileSystem;
import dev.coloha.microvm.wasi.fs.FsErrno;
import dev.coloha.microvm.wasi.fs.FsException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file part of a WASI guest's host (docs/guest-abi.md, "Files under /data"): {@code /data} is a
 * pre-opened directory at {@link #DATA_FD} when the VM has a disk, on a {@link DataFileSystem} on
 * the VM's block device. Directories and open files (with their positions) are descriptors, so
 * checkpoints carry them; the file system's metadata not yet synced is in {@link #state()}. {@link
 * WasiHost} routes the calls on files and directories here. VM thread only.
 *
 * <p>Over 400 lines on purpose: a method per WASI file and directory call, all on the same
 * descriptor table and path resolution under /data; the file system itself is DataFileSystem.
 */
final class WasiFiles {
  private static final Logger log = LoggerFactory.getLogger(WasiFiles.class);

  /** The descriptor of {@code /data}: the one after the listening socket. */
  static final int DATA_FD = 4;

  /** The descriptor of {@code /data} of an inetd program, which has no listening socket. */
  static final int INETD_DATA_FD = 3;

  static final String DATA_DIR = "/data";

  private static final int PREOPEN_DIR = 0;

  /** What {@code fd_prestat_get} answers for the listening socket: not a directory, skipped. */
  private static final int PREOPEN_NOT_A_DIR = 1;

  private static final int OFLAG_CREAT = 1;
  private static final int OFLAG_DIRECTORY = 2;
  private static final int OFLAG_EXCL = 4;
  private static final int OFLAG_TRUNC = 8;
  private static final long RIGHT_FD_READ = 1L << 1;
  private static final long RIGHT_FD_WRITE = 1L << 6;
  private static final int DIRENT_BYTES = 24;
  private static final int MAX_PATH_BYTES = 4096;

  private final String vmId;
  private final GuestDevices devices;
  private final DescriptorTable fds;
  private TrackedMemory memory;
  private DataFileSystem fs;

  WasiFiles(String vmId, GuestDevices devices, DescriptorTable fds) {
    this.vmId = vmId;
    this.devices = devices;
    this.fds = fds;
  }

  void attach(TrackedMemory memory) {
    this.memory = memory;
  }

  // ---- the file system's life -------------------------------------------------------------------

  /**
   * At boot, before {@code _start}: mounts (or formats) the file system of a VM with a disk and
   * opens {@code /data} at descriptor {@code dataFd}.
   *
   * @throws IllegalStateException if the disk holds no usable file system
   */
  void mount(int dataFd) {
    if (devices.disk().sizeBytes() == 0) {
      return;
    }
    try {
      fs = DataFileSystem.mount(devices.disk());
    } catch (FsException e) {
      throw new IllegalStateException("cannot mount " + DATA_DIR + ": " + e.getMessage(), e);
    }
    fds.put(dataFd, new Descriptor.Directory(dataRoot(), true, 0));
    log.info("VM {}: {} mounted (generation {})", vmId, DATA_DIR, fs.generation());
  }

  private static int dataRoot() {
    return 1;
  }

  /** The file system's part of a checkpoint: empty without a disk. */
  byte[] state() {
    return fs == null ? new byte[0] : fs.state();
  }

  /** Checks a checkpoint's file system state, changing nothing. */
  void check(byte[] state) {
    if (state.length > 0) {
      DataFileSystem.restore(devices.disk(), state);
    }
  }

  /** Applies a checkpoint's file system state (the disk is the checkpoint's barrier already). */
  void apply(byte[] state) {
    fs = state.length == 0 ? null : DataFileSystem.restore(devices.disk(), state);
  }

  /**
   * At boot, after {@link #mount}: writes each of {@code files} (name to UTF-8 content) into {@code
   * /data} where no such name exists, then syncs. A file the program changed stays as it is.
   *
   * @throws IllegalStateException if a file cannot be written (the disk is full)
   */
  void seed(Map<String, String> files) {
    if (fs == null || files.isEmpty()) {
      return;
    }
    int written = 0;
    try {
      for (Map.Entry<String, String> e : files.entrySet()) {
        try {
          fs.statPath(dataRoot(), e.getKey());
          continue; // there already
        } catch (FsException absent) {
          if (absent.errno() != FsErrno.NOENT) {
            throw absent;
          }
        }
        byte[] content = e.getValue().getBytes(StandardCharsets.UTF_8);
        DataFileSystem.Stat st = fs.open(dataRoot(), e.getKey(), true, true, false, false);
        fs.write(st.inode(), 0, content, 0, content.length);
        fs.release(st.inode());
        written++;
      }
      fs.sync();
    } catch (FsException e) {
      throw new IllegalStateException("cannot write the group's files into " + DATA_DIR, e);
    }
    if (written > 0) {
      log.info(
          "VM {}: {} of the group's {} files written into {}",
          vmId,
          written,
          files.size(),
          DATA_DIR);
    }
  }

  /** A fresh descriptor of the pre-opened {@code /data}, or null without a disk. */
  Descriptor preopen() {
    return fs == null ? null : new Descriptor.Directory(dataRoot(), true, 0);
  }

  boolean mounted() {
    return fs != null;
  }

  // ---- pre-opened directories ---------------------------------------------------------------

  int prestatGet(int fd, int ptr) {
    Descriptor d = fds.get(fd);
    if (d instanceof Descriptor.Directory dir && dir.preopen()) {
      memory.writeI32(ptr, PREOPEN_DIR);
      memory.writeI32(ptr + 4, DATA_DIR.length());
      return WasiErrno.SUCCESS;
    }
    if (d instanceof Descriptor.Listener && fs != null) {
      // wasi-libc looks for pre-opened directories from descriptor 3 up and stops at EBADF;
      // the listening socket is there, so it answers "not a directory" and the search goes on
      memory.writeI32(ptr, PREOPEN_NOT_A_DIR);
      memory.writeI32(ptr + 4, 0);
      return WasiErrno.SUCCESS;
    }
    return WasiErrno.BADF;
  }

  int prestatDirName(int fd, int ptr, int len) {
    if (!(fds.get(fd) instanceof Descriptor.Directory dir) || !dir.preopen()) {
      return WasiErrno.BADF;
    }
    byte[] name = DATA_DIR.getBytes(StandardCharsets.UTF_8);
    if (len < name.length) {
      return WasiErrno.INVAL;
    }
    memory.write(ptr, name, 0, name.length);
    return WasiErrno.SUCCESS;
  }

  // ---- paths --------------------------------------------------------------------------------

  private String path(int ptr, int len) throws FsException {
    if (len < 0 || len > MAX_PATH_BYTES) {
      throw new FsException(FsErrno.NAMETOOLONG, "path too long");
    }
    return new String(memory.readBytes(ptr, len), StandardCharsets.UTF_8);
  }

  private Descriptor.Directory dir(int fd) throws FsException {
    Descriptor d = fds.get(fd);
    if (d == null) {
      throw new FsException(FsErrno.BADF, "bad descriptor");
    }
    if (!(d instanceof Descriptor.Directory dir)) {
      throw new FsException(FsErrno.NOTDIR, "not a directory");
    }
    return dir;
  }

  private boolean open(int inode) {
    for (Descriptor d : fds.all().values()) {
      if (d instanceof Descriptor.File f && f.inode() == inode
          || d instanceof Descriptor.Directory dir && dir.inode() == inode) {
        return true;
      }
    }
    return false;
  }

  @FunctionalInterface
  private interface FsCall {
    int run() throws FsException;
  }

  private static int errno(FsCall call) {
    try {
      return call.run();
    } catch (FsException e) {
      return e.errno();
    }
  }

  int pathOpen(
      int dirFd, int pathPtr, int pathLen, int oflags, long rights, int fdflags, int resultPtr) {
    return errno(
        () -> {
          Descriptor.Directory base = dir(dirFd);
          String path = path(pathPtr, pathLen);
          DataFileSystem.Stat st =
              fs.open(
                  base.inode(),
                  path,
                  (oflags & OFLAG_CREAT) != 0,
                  (oflags & OFLAG_EXCL) != 0,
                  (oflags & OFLAG_TRUNC) != 0,
                  (oflags & OFLAG_DIRECTORY) != 0);
          int flags = fdflags & (Descriptor.NONBLOCK | Descriptor.APPEND);
          Descriptor d =
              st.dir()
                  ? new Descriptor.Directory(st.inode(), false, flags)
                  : new Descriptor.File(
                      st.inode(),
                      0,
                      (rights & RIGHT_FD_READ) != 0,
                      (rights & RIGHT_FD_WRITE) != 0,
                      flags);
          int fd = fds.open(d);
          if (fd < 0) {
            return WasiErrno.MFILE;
          }
          memory.writeI32(resultPtr, fd);
          return WasiErrno.SUCCESS;
        });
  }

  int createDirectory(int dirFd, int pathPtr, int pathLen) {
    return errno(
        () -> {
          fs.mkdir(dir(dirFd).inode(), path(pathPtr, pathLen));
          return WasiErrno.SUCCESS;
        });
  }

  int unlinkFile(int dirFd, int pathPtr, int pathLen) {
    return errno(
        () -> {
          fs.unlink(dir(dirFd).inode(), path(pathPtr, pathLen), this::open);
          return WasiErrno.SUCCESS;
        });
  }

  int removeDirectory(int dirFd, int pathPtr, int pathLen) {
    return errno(
        () -> {
          fs.rmdir(dir(dirFd).inode(), path(pathPtr, pathLen), this::open);
          return WasiErrno.SUCCESS;
        });
  }

  int rename(int fromFd, int fromPtr, int fromLen, int toFd, int toPtr, int toLen) {
    return errno(
        () -> {
          fs.rename(
              dir(fromFd).inode(),
              path(fromPtr, fromLen),
              dir(toFd).inode(),
              path(toPtr, toLen),
              this::open);
          return WasiErrno.SUCCESS;
        });
  }

  int pathFilestat(int dirFd, int pathPtr, int pathLen, int resultPtr) {
    return errno(
        () -> {
          writeFilestat(resultPtr, fs.statPath(dir(dirFd).inode(), path(pathPtr, pathLen)));
          return WasiErrno.SUCCESS;
        });
  }

  // ---- descriptors of files and directories --------------------------------------------------

  static boolean isFileOrDirectory(Descriptor d) {
    return d instanceof Descriptor.File || d instanceof Descriptor.Directory;
  }

  int filestat(int fd, int resultPtr) {
    return errno(
        () -> {
          int inode =
              switch (fds.get(fd)) {
                case Descriptor.File f -> f.inode();
                case Descriptor.Directory d -> d.inode();
                case null, default -> throw new FsException(FsErrno.BADF, "bad descriptor");
              };
          writeFilestat(resultPtr, fs.stat(inode));
          return WasiErrno.SUCCESS;
        });
  }

  private void writeFilestat(int ptr, DataFileSystem.Stat st) {
    memory.fill((byte) 0, ptr, ptr + 64);
    memory.writeLong(ptr + 8, st.inode());
    memory.writeByte(ptr + 16, (byte) (st.dir() ? 3 : 4));
    memory.writeLong(ptr + 24, 1L);
    memory.writeLong(ptr + 32, st.size());
  }

  private Descriptor.File file(int fd) throws FsException {
    return switch (fds.get(fd)) {
      case Descriptor.File f -> f;
      case Descriptor.Directory d -> throw new FsException(FsErrno.ISDIR, "a directory");
      case null -> throw new FsException(FsErrno.BADF, "bad descriptor");
      default -> throw new FsException(WasiErrno.SPIPE, "not a file");
    };
  }

  /** {@code fd_read} (at the position, which moves) or {@code fd_pread} (at {@code at}). */
  int read(int fd, int iovs, int count, long at, int resultPtr) {
    return errno(
        () -> {
          Descriptor.File f = file(fd);
          if (!f.readable()) {
            return WasiErrno.BADF;
          }
          long pos = at < 0 ? f.position() : at;
          int total = 0;
          for (int i = 0; i < count; i++) {
            int ptr = memory.readInt(iovs + 8 * i);
            int len = Math.min(memory.readInt(iovs + 8 * i + 4), devices.config().maxDiskRequest());
            if (len <= 0) {
              continue;
            }
            byte[] buf = new byte[len];
            int n = fs.read(f.inode(), pos + total, buf, 0, len);
            memory.write(ptr, buf, 0, n);
            total += n;
            if (n < len) {
              break;
            }
          }
          if (at < 0) {
            fds.put(fd, f.at(pos + total));
          }
          memory.writeI32(resultPtr, total);
          return WasiErrno.SUCCESS;
        });
  }

  /** {@code fd_write} (at the position or the end, which moves) or {@code fd_pwrite}. */
  int write(int fd, int iovs, int count, long at, int resultPtr) {
    return errno(
        () -> {
          Descriptor.File f = file(fd);
          if (!f.writable()) {
            return WasiErrno.BADF;
          }
          long pos;
          if (at >= 0) {
            pos = at;
          } else if ((f.fdflags() & Descriptor.APPEND) != 0) {
            pos = fs.stat(f.inode()).size();
          } else {
            pos = f.position();
          }
          int total = 0;
          for (int i = 0; i < count; i++) {
            int ptr = memory.readInt(iovs + 8 * i);
            int len = memory.readInt(iovs + 8 * i + 4);
            if (len <= 0) {
              continue;
            }
            byte[] buf = memory.readBytes(ptr, len);
            fs.write(f.inode(), pos + total, buf, 0, len);
            total += len;
          }
          if (at < 0) {
            fds.put(fd, f.at(pos + total));
          }
          memory.writeI32(resultPtr, total);
          return WasiErrno.SUCCESS;
        });
  }

  int seek(int fd, long offset, int whence, int resultPtr) {
    return errno(
        () -> {
          Descriptor.File f = file(fd);
          long base =
              switch (whence) {
                case 0 -> 0;
                case 1 -> f.position();
                case 2 -> fs.stat(f.inode()).size();
                default -> throw new FsException(FsErrno.INVAL, "whence " + whence);
              };
          long pos = base + offset;
          if (pos < 0) {
            return WasiErrno.INVAL;
          }
          fds.put(fd, f.at(pos));
          memory.writeLong(resultPtr, pos);
          return WasiErrno.SUCCESS;
        });
  }

  int tell(int fd, int resultPtr) {
    return errno(
        () -> {
          memory.writeLong(resultPtr, file(fd).position());
          return WasiErrno.SUCCESS;
        });
  }

  int setSize(int fd, long size) {
    return errno(
        () -> {
          Descriptor.File f = file(fd);
          if (!f.writable()) {
            return WasiErrno.BADF;
          }
          fs.truncate(f.inode(), size);
          return WasiErrno.SUCCESS;
        });
  }

  /** {@code fd_sync}, {@code fd_datasync}: everything of the file system durable. */
  int sync(int fd) {
    return errno(
        () -> {
          if (!isFileOrDirectory(fds.get(fd))) {
            return fds.get(fd) == null ? WasiErrno.BADF : WasiErrno.INVAL;
          }
          fs.sync();
          return WasiErrno.SUCCESS;
        });
  }

  int readdir(int fd, int buf, int bufLen, long cookie, int resultPtr) {
    return errno(
        () -> {
          Descriptor.Directory d = dir(fd);
          List<DataFileSystem.Entry> entries = fs.list(d.inode());
          int used = 0;
          long total = entries.size() + 2L;
          for (long k = Math.max(0, cookie); k < total && used < bufLen; k++) {
            String name;
            long ino;
            boolean isDir;
            if (k == 0) {
              name = ".";
              ino = d.inode();
              isDir = true;
            } else if (k == 1) {
              name = "..";
              ino = fs.parent(d.inode());
              isDir = true;
            } else {
              DataFileSystem.Entry e = entries.get((int) (k - 2));
              name = e.name();
              ino = e.inode();
              isDir = e.dir();
            }
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            byte[] ent = new byte[DIRENT_BYTES + n.length];
            java.nio.ByteBuffer b =
                java.nio.ByteBuffer.wrap(ent).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.putLong(k + 1).putLong(ino).putInt(n.length).put((byte) (isDir ? 3 : 4));
            System.arraycopy(n, 0, ent, DIRENT_BYTES, n.length);
            int take = Math.min(ent.length, bufLen - used);
            memory.write(buf + used, ent, 0, take); // a cut entry tells the guest to ask again
            used += take;
          }
          memory.writeI32(resultPtr, used);
          return WasiErrno.SUCCESS;
        });
  }

  /** A file or directory descriptor was closed: an unlinked file goes with its last one. */
  void closed(Descriptor d) {
    if (fs == null) {
      return;
    }
    int inode =
        switch (d) {
          case Descriptor.File f -> f.inode();
          case Descriptor.Directory dir -> dir.inode();
          default -> -1;
        };
    if (inode > 0 && !open(inode)) {
      fs.release(inode);
    }
  }
}
