package dev.coloha.microvm;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.wasm.ChicoryException;
import dev.coloha.microvm.conn.ConnectionTable;
import dev.coloha.microvm.conn.GuestConnection;
import dev.coloha.microvm.guest.WasiAbi;
import dev.coloha.microvm.memory.TrackedMemory;
import dev.coloha.microvm.wasi.BlockedCall;
import dev.coloha.microvm.wasi.Descriptor;
import dev.coloha.microvm.wasi.DescriptorTable;
import dev.coloha.microvm.wasi.WasiErrno;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of WASI preview 1 for one VM (docs/guest-abi.md, "WASI guests"). Sockets are the
 * VM's connections: the listening socket is {@link WasiAbi#LISTEN_FD}, accept takes the next
 * connection the proxy delivered, recv takes its input, a client close is end of file, send is
 * output, close closes the client connection. Clock and random are the host's own. Calls that would
 * wait ({@link WasiAbi#BLOCKING_IMPORTS}) unwind the guest through {@link WasiGuest}. Files and
 * directories under {@code /data} are {@link WasiFiles}'; functions not listed here answer {@code
 * ENOSYS}. VM thread only.
 *
 * <p>Over 400 lines on purpose: a short method per WASI preview 1 import, registered in one table;
 * the socket, poll and clock calls share the VM's connections and WasiGuest's unwind protocol (the
 * file calls are already WasiFiles'). Split further, one ABI surface would be spread over classes
 * that share all their state.
 */
final class WasiHost {
  private static final int LOG_LINES_PER_SECOND = 100;
  private static final int EVENT_CLOCK = 0;
  private static final int EVENT_FD_READ = 1;
  private static final int EVENT_FD_WRITE = 2;
  private static final int HANGUP = 1;
  private static final int SUBSCRIPTION_BYTES = 48;
  private static final int EVENT_BYTES = 32;

  private final String vmId;
  private final GuestDevices devices;
  private final DescriptorTable fds;
  private final WasiGuest guest;
  private final WasiFiles files;
  private final Logger guestLog;
  private final byte[][] args;
  private final byte[][] env;
  private final ByteArrayOutputStream[] lines = {
    new ByteArrayOutputStream(), new ByteArrayOutputStream()
  };
  private long logWindowStart;
  private int logLinesInWindow;
  private long logLinesDropped;
  private TrackedMemory memory;

  /** proc_exit: ends the guest's run. */
  static final class Exit extends RuntimeException {
    private final int code;

    Exit(int code) {
      super("exited with status " + code, null, false, false);
      this.code = code;
    }

    int code() {
      return code;
    }
  }

  WasiHost(
      String vmId,
      String program,
      GuestDevices devices,
      WasiLaunch launch,
      DescriptorTable fds,
      WasiGuest guest) {
    this.vmId = vmId;
    this.devices = devices;
    this.fds = fds;
    this.guest = guest;
    this.files = new WasiFiles(vmId, devices, fds);
    this.guestLog = LoggerFactory.getLogger("guest." + vmId);
    List<String> argv = new ArrayList<>();
    argv.add(program);
    argv.addAll(launch.args());
    this.args = cStrings(argv);
    List<String> envp = new ArrayList<>();
    for (Map.Entry<String, String> e : launch.env().entrySet()) {
      if (!e.getKey().equals(WasiAbi.LISTEN_FD_ENV)) {
        envp.add(e.getKey() + "=" + e.getValue());
      }
    }
    if (!launch.inetd()) {
      envp.add(WasiAbi.LISTEN_FD_ENV + "=" + WasiAbi.LISTEN_FD); // an inetd program has none
    }
    this.env = cStrings(envp);
  }

  private static byte[][] cStrings(List<String> strings) {
    byte[][] out = new byte[strings.size()][];
    for (int i = 0; i < out.length; i++) {
      byte[] s = strings.get(i).getBytes(StandardCharsets.UTF_8);
      out[i] = java.util.Arrays.copyOf(s, s.length + 1);
    }
    return out;
  }

  void attach(TrackedMemory memory) {
    this.memory = memory;
    files.attach(memory);
  }

  WasiFiles files() {
    return files;
  }

  /** A preview 1 function: its arguments, its errno. */
  @FunctionalInterface
  private interface Call {
    int apply(long[] a);
  }

  ImportValues imports() {
    List<ImportFunction> fns = new ArrayList<>();
    for (var e : WasiAbi.IMPORTS.entrySet()) {
      String name = e.getKey();
      if (name.equals("proc_exit")) {
        fns.add(
            new HostFunction(
                WasiAbi.IMPORT_MODULE,
                name,
                e.getValue(),
                (inst, a) -> {
                  flushLogs();
                  throw new Exit((int) a[0]);
                }));
        continue;
      }
      Call call = call(name);
      fns.add(
          new HostFunction(
              WasiAbi.IMPORT_MODULE,
              name,
              e.getValue(),
              (inst, a) -> {
                int errno;
                try {
                  errno = call.apply(a);
                } catch (ChicoryException | IndexOutOfBoundsException ex) {
                  errno = WasiErrno.FAULT; // a pointer outside linear memory
                }
                return new long[] {errno};
              }));
    }
    return ImportValues.builder().withFunctions(fns).build();
  }

  private Call call(String name) {
    return switch (name) {
      case "args_sizes_get" -> a -> sizes(args, (int) a[0], (int) a[1]);
      case "args_get" -> a -> strings(args, (int) a[0], (int) a[1]);
      case "environ_sizes_get" -> a -> sizes(env, (int) a[0], (int) a[1]);
      case "environ_get" -> a -> strings(env, (int) a[0], (int) a[1]);
      case "clock_res_get" -> a -> clockRes((int) a[0], (int) a[1]);
      case "clock_time_get" -> a -> clockTime((int) a[0], (int) a[2]);
      case "random_get" -> a -> random((int) a[0], (int) a[1]);
      case "sched_yield" -> a -> WasiErrno.SUCCESS;
      case "fd_write" -> a -> fdWrite((int) a[0], (int) a[1], (int) a[2], (int) a[3]);
      case "fd_read" -> a -> fdRead((int) a[0], (int) a[1], (int) a[2], (int) a[3]);
      case "fd_close" -> a -> fdClose((int) a[0]);
      case "fd_fdstat_get" -> a -> fdstat((int) a[0], (int) a[1]);
      case "fd_fdstat_set_flags" -> a -> fdstatSetFlags((int) a[0], (int) a[1]);
      case "fd_filestat_get" -> a -> filestat((int) a[0], (int) a[1]);
      case "fd_prestat_get" -> a -> files.prestatGet((int) a[0], (int) a[1]);
      case "fd_prestat_dir_name" -> a -> files.prestatDirName((int) a[0], (int) a[1], (int) a[2]);
      case "fd_seek" ->
          a -> onFile((int) a[0], () -> files.seek((int) a[0], a[1], (int) a[2], (int) a[3]));
      case "fd_tell" -> a -> onFile((int) a[0], () -> files.tell((int) a[0], (int) a[1]));
      case "fd_pread" ->
          a ->
              onFile(
                  (int) a[0],
                  () -> files.read((int) a[0], (int) a[1], (int) a[2], offset(a[3]), (int) a[4]));
      case "fd_pwrite" ->
          a ->
              onFile(
                  (int) a[0],
                  () -> files.write((int) a[0], (int) a[1], (int) a[2], offset(a[3]), (int) a[4]));
      case "fd_filestat_set_size" -> a -> onFile((int) a[0], () -> files.setSize((int) a[0], a[1]));
      case "fd_sync", "fd_datasync" -> a -> files.sync((int) a[0]);
      case "fd_readdir" -> a -> files.readdir((int) a[0], (int) a[1], (int) a[2], a[3], (int) a[4]);
      case "path_open" ->
          a ->
              files.pathOpen(
                  (int) a[0], (int) a[2], (int) a[3], (int) a[4], a[5], (int) a[7], (int) a[8]);
      case "path_rename" ->
          a -> files.rename((int) a[0], (int) a[1], (int) a[2], (int) a[3], (int) a[4], (int) a[5]);
      case "path_unlink_file" -> a -> files.unlinkFile((int) a[0], (int) a[1], (int) a[2]);
      case "path_create_directory" ->
          a -> files.createDirectory((int) a[0], (int) a[1], (int) a[2]);
      case "path_remove_directory" ->
          a -> files.removeDirectory((int) a[0], (int) a[1], (int) a[2]);
      case "path_filestat_get" ->
          a -> files.pathFilestat((int) a[0], (int) a[2], (int) a[3], (int) a[4]);
      case "poll_oneoff" -> a -> poll((int) a[0], (int) a[1], (int) a[2], (int) a[3]);
      case "sock_accept" -> a -> accept((int) a[0], (int) a[1], (int) a[2]);
      case "sock_recv" ->
          a -> {
            if ((a[3] & 1) != 0) {
              return WasiErrno.NOTSUP; // RECV_PEEK
            }
            memory.writeShort((int) a[5], (short) 0);
            return recv((int) a[0], (int) a[1], (int) a[2], (int) a[4]);
          };
      case "sock_send" -> a -> send((int) a[0], (int) a[1], (int) a[2], (int) a[4]);
      case "sock_shutdown" -> a -> shutdown((int) a[0], (int) a[1]);
      default -> a -> WasiErrno.NOSYS;
    };
  }

  // ---- args, environment, clocks, random -------------------------------------------------------

  private int sizes(byte[][] strings, int countPtr, int bytesPtr) {
    int total = 0;
    for (byte[] s : strings) {
      total += s.length;
    }
    memory.writeI32(countPtr, strings.length);
    memory.writeI32(bytesPtr, total);
    return WasiErrno.SUCCESS;
  }

  private int strings(byte[][] strings, int pointers, int buf) {
    int at = buf;
    for (int i = 0; i < strings.length; i++) {
      memory.writeI32(pointers + 4 * i, at);
      memory.write(at, strings[i], 0, strings[i].length);
      at += strings[i].length;
    }
    return WasiErrno.SUCCESS;
  }

  private int clockRes(int id, int ptr) {
    if (id < 0 || id > 3) {
      return WasiErrno.INVAL;
    }
    memory.writeLong(ptr, 1_000L);
    return WasiErrno.SUCCESS;
  }

  private int clockTime(int id, int ptr) {
    long now =
        switch (id) {
          case 0 -> devices.clock().realtimeNanos();
          case 1, 2, 3 -> devices.clock().monotonicNanos();
          default -> -1;
        };
    if (now < 0) {
      return WasiErrno.INVAL;
    }
    memory.writeLong(ptr, now);
    return WasiErrno.SUCCESS;
  }

  private int random(int ptr, int len) {
    if (len < 0 || len > devices.config().maxDiskRequest()) {
      return WasiErrno.INVAL;
    }
    byte[] b = new byte[len];
    devices.random().fill(b);
    memory.write(ptr, b, 0, len);
    return WasiErrno.SUCCESS;
  }

  // ---- descriptors ------------------------------------------------------------------------------

  /**
   * The connection a socket (or an inetd program's standard input or output, for the direction
   * asked) refers to, or -1.
   */
  private static int connOf(Descriptor d, boolean write) {
    return switch (d) {
      case Descriptor.Socket s -> s.conn();
      case Descriptor.Inetd i when (i.stream() == 1) == write -> i.conn();
      case null, default -> -1;
    };
  }

  /** A call on a file: {@link WasiFiles}' for files, else {@code ESPIPE} (or {@code EBADF}). */
  private int onFile(int fd, java.util.function.IntSupplier call) {
    Descriptor d = fds.get(fd);
    if (d == null) {
      return WasiErrno.BADF;
    }
    return WasiFiles.isFileOrDirectory(d) ? call.getAsInt() : WasiErrno.SPIPE;
  }

  /** A file offset of fd_pread/fd_pwrite: unsigned; one past {@code Long.MAX_VALUE} is refused. */
  private static long offset(long v) {
    return v < 0 ? Long.MAX_VALUE : v;
  }

  private int fdstat(int fd, int ptr) {
    Descriptor d = fds.get(fd);
    if (d == null) {
      return WasiErrno.BADF;
    }
    memory.writeByte(ptr, (byte) d.filetype());
    memory.writeByte(ptr + 1, (byte) 0);
    memory.writeShort(ptr + 2, (short) d.fdflags());
    memory.writeI32(ptr + 4, 0);
    memory.writeLong(ptr + 8, -1L);
    memory.writeLong(ptr + 16, -1L);
    return WasiErrno.SUCCESS;
  }

  private int fdstatSetFlags(int fd, int flags) {
    Descriptor d = fds.get(fd);
    if (d == null) {
      return WasiErrno.BADF;
    }
    int kept =
        d instanceof Descriptor.File
            ? Descriptor.NONBLOCK | Descriptor.APPEND
            : Descriptor.NONBLOCK;
    fds.put(fd, d.withFdflags(flags & kept));
    return WasiErrno.SUCCESS;
  }

  private int filestat(int fd, int ptr) {
    Descriptor d = fds.get(fd);
    if (d == null) {
      return WasiErrno.BADF;
    }
    if (WasiFiles.isFileOrDirectory(d)) {
      return files.filestat(fd, ptr);
    }
    memory.fill((byte) 0, ptr, ptr + 64);
    memory.writeByte(ptr + 16, (byte) d.filetype());
    memory.writeLong(ptr + 24, 1L);
    return WasiErrno.SUCCESS;
  }

  private int fdClose(int fd) {
    Descriptor d = fds.close(fd);
    if (d == null) {
      return WasiErrno.BADF;
    }
    if (d instanceof Descriptor.Socket s) {
      closeOutput(s.conn());
    } else if (d instanceof Descriptor.Inetd i) {
      boolean more = false;
      for (Descriptor other : fds.all().values()) {
        more |= other instanceof Descriptor.Inetd o && o.conn() == i.conn();
      }
      if (!more) {
        closeOutput(i.conn()); // both standard input and output closed: the connection closes
      }
    } else if (d instanceof Descriptor.Stdio s && s.stream() > 0) {
      flush(s.stream());
    } else {
      files.closed(d);
    }
    return WasiErrno.SUCCESS;
  }

  /** The guest is done with the connection: the client connection closes. */
  void closeOutput(int conn) {
    ConnectionTable table = devices.connections();
    GuestConnection c = table.get(conn);
    if (c == null) {
      return;
    }
    boolean peerClosed = table.peerClosed(c);
    if (table.guestClose(conn)) {
      devices.sink().closed(conn, devices.interval(), c.produced());
      if (peerClosed) {
        devices.sink().ended(conn);
      }
    }
  }

  private int shutdown(int fd, int how) {
    Descriptor d = fds.get(fd);
    if (d == null) {
      return WasiErrno.BADF;
    }
    int conn = Math.max(connOf(d, false), connOf(d, true));
    if (conn < 0) {
      return WasiErrno.NOTSOCK;
    }
    if ((how & 2) != 0) {
      closeOutput(conn); // SHUT_WR: the client sees end of file
    }
    return WasiErrno.SUCCESS;
  }

  // ---- reading and writing ----------------------------------------------------------------------

  private int fdWrite(int fd, int iovs, int count, int resultPtr) {
    Descriptor d = fds.get(fd);
    if (d == null) {
      return WasiErrno.BADF;
    }
    return switch (d) {
      case Descriptor.Socket s -> send(fd, iovs, count, resultPtr);
      case Descriptor.Inetd i when i.stream() == 1 -> send(fd, iovs, count, resultPtr);
      case Descriptor.File f -> files.write(fd, iovs, count, -1, resultPtr);
      case Descriptor.Stdio s when s.stream() > 0 -> {
        byte[] bytes = gather(iovs, count);
        logOutput(s.stream(), bytes);
        memory.writeI32(resultPtr, bytes.length);
        yield WasiErrno.SUCCESS;
      }
      default -> WasiErrno.BADF;
    };
  }

  private int fdRead(int fd, int iovs, int count, int resultPtr) {
    BlockedCall resumed = guest.resumed();
    Descriptor d = fds.get(fd);
    if (d == null) {
      guest.completed();
      return WasiErrno.BADF;
    }
    return switch (d) {
      case Descriptor.Socket s ->
          recvResumed(fd, s.conn(), s.nonblocking(), iovs, count, resultPtr, resumed);
      case Descriptor.Inetd i when i.stream() == 0 ->
          recvResumed(fd, i.conn(), i.nonblocking(), iovs, count, resultPtr, resumed);
      case Descriptor.File f -> {
        guest.completed();
        yield files.read(fd, iovs, count, -1, resultPtr);
      }
      case Descriptor.Stdio s when s.stream() == 0 -> {
        guest.completed();
        memory.writeI32(resultPtr, 0); // standard input is empty
        yield WasiErrno.SUCCESS;
      }
      default -> {
        guest.completed();
        yield WasiErrno.BADF;
      }
    };
  }

  private int recv(int fd, int iovs, int count, int resultPtr) {
    BlockedCall resumed = guest.resumed();
    Descriptor d = fds.get(fd);
    int conn = connOf(d, false);
    if (conn < 0) {
      guest.completed();
      return d == null ? WasiErrno.BADF : WasiErrno.NOTSOCK;
    }
    return recvResumed(fd, conn, d.nonblocking(), iovs, count, resultPtr, resumed);
  }

  private int recvResumed(
      int fd,
      int conn,
      boolean nonblocking,
      int iovs,
      int count,
      int resultPtr,
      BlockedCall resumed) {
    ConnectionTable table = devices.connections();
    GuestConnection c = table.get(conn);
    if (c == null || c.guestClosed()) {
      guest.completed();
      memory.writeI32(resultPtr, 0);
      return WasiErrno.SUCCESS;
    }
    if (table.readable(c) && table.pending(c) > 0) {
      int room = 0;
      for (int i = 0; i < count; i++) {
        room += Math.max(0, memory.readInt(iovs + 8 * i + 4));
      }
      int n = (int) Math.min(Math.min(room, table.pending(c)), devices.config().maxDataChunk());
      byte[] bytes = table.take(c, n);
      scatter(iovs, count, bytes);
      memory.writeI32(resultPtr, bytes.length);
      devices.sink().consumed(c.id(), c.consumed());
      table.done(c);
      guest.completed();
      return WasiErrno.SUCCESS;
    }
    if (table.readable(c)) {
      guest.completed();
      memory.writeI32(resultPtr, 0); // the client closed: end of file
      return WasiErrno.SUCCESS;
    }
    if (nonblocking) {
      guest.completed();
      return WasiErrno.AGAIN;
    }
    guest.block(new BlockedCall(List.of(new BlockedCall.Interest(fd, false)), noDeadline(resumed)));
    return WasiErrno.SUCCESS;
  }

  private static long noDeadline(BlockedCall resumed) {
    return resumed == null ? BlockedCall.NO_DEADLINE : resumed.deadlineNanos();
  }

  private int send(int fd, int iovs, int count, int resultPtr) {
    Descriptor d = fds.get(fd);
    int conn = connOf(d, true);
    if (conn < 0) {
      return d == null ? WasiErrno.BADF : WasiErrno.NOTSOCK;
    }
    byte[] bytes = gather(iovs, count);
    long offset = devices.connections().produced(conn, bytes.length);
    if (offset < 0) {
      return WasiErrno.PIPE;
    }
    if (bytes.length > 0) {
      devices.sink().output(conn, devices.interval(), offset, bytes);
    }
    memory.writeI32(resultPtr, bytes.length);
    return WasiErrno.SUCCESS;
  }

  private int accept(int fd, int flags, int resultPtr) {
    BlockedCall resumed = guest.resumed();
    Descriptor d = fds.get(fd);
    if (!(d instanceof Descriptor.Listener listener)) {
      guest.completed();
      return d == null ? WasiErrno.BADF : WasiErrno.NOTSOCK;
    }
    ConnectionTable table = devices.connections();
    GuestConnection c = table.nextToAccept();
    if (c != null) {
      guest.completed();
      int newFd = fds.open(new Descriptor.Socket(c.id(), flags & Descriptor.NONBLOCK));
      if (newFd < 0) {
        return WasiErrno.MFILE;
      }
      table.opening(c);
      memory.writeI32(resultPtr, newFd);
      return WasiErrno.SUCCESS;
    }
    if (listener.nonblocking()) {
      guest.completed();
      return WasiErrno.AGAIN;
    }
    guest.block(new BlockedCall(List.of(new BlockedCall.Interest(fd, false)), noDeadline(resumed)));
    return WasiErrno.SUCCESS;
  }

  private byte[] gather(int iovs, int count) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < count; i++) {
      int ptr = memory.readInt(iovs + 8 * i);
      int len = memory.readInt(iovs + 8 * i + 4);
      if (len > 0) {
        out.writeBytes(memory.readBytes(ptr, len));
      }
    }
    return out.toByteArray();
  }

  private void scatter(int iovs, int count, byte[] bytes) {
    int at = 0;
    for (int i = 0; i < count && at < bytes.length; i++) {
      int ptr = memory.readInt(iovs + 8 * i);
      int len = Math.min(memory.readInt(iovs + 8 * i + 4), bytes.length - at);
      if (len > 0) {
        memory.write(ptr, bytes, at, len);
        at += len;
      }
    }
  }

  // ---- poll ---------------------------------------------------------------------------------

  /** Whether any descriptor the blocked call waits on is ready (its deadline aside). */
  boolean anyReady(BlockedCall call) {
    for (BlockedCall.Interest i : call.interests()) {
      if (readyBytes(i) >= 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * -1 if not ready; else the bytes available (a hang-up is reported by {@link #hungUp}). An
   * unknown descriptor is ready (with an error).
   */
  private long readyBytes(BlockedCall.Interest i) {
    Descriptor d = fds.get(i.fd());
    if (d == null) {
      return 0;
    }
    ConnectionTable table = devices.connections();
    return switch (d) {
      case Descriptor.Stdio s -> (s.stream() == 0) != i.write() ? 0 : -1;
      case Descriptor.Listener l -> !i.write() && table.nextToAccept() != null ? 1 : -1;
      case Descriptor.File f -> 0; // a file is always ready, as in POSIX
      case Descriptor.Directory dir -> 0;
      case Descriptor.Socket s -> connectionReady(s.conn(), i.write());
      case Descriptor.Inetd s when (s.stream() == 1) == i.write() ->
          connectionReady(s.conn(), i.write());
      case Descriptor.Inetd s -> -1; // standard input is never writable, nor output readable
    };
  }

  private long connectionReady(int conn, boolean write) {
    ConnectionTable table = devices.connections();
    GuestConnection c = table.get(conn);
    if (c == null || c.guestClosed()) {
      return 0;
    }
    if (write) {
      return devices.config().maxDataChunk();
    }
    return table.readable(c) ? table.pending(c) : -1;
  }

  private boolean hungUp(int fd) {
    int conn = connOf(fds.get(fd), false);
    if (conn >= 0) {
      GuestConnection c = devices.connections().get(conn);
      return c == null || c.guestClosed() || devices.connections().atEnd(c);
    }
    return false;
  }

  private int poll(int in, int out, int count, int resultPtr) {
    BlockedCall resumed = guest.resumed();
    if (count <= 0) {
      guest.completed();
      return WasiErrno.INVAL;
    }
    long now = devices.clock().monotonicNanos();
    long deadline = BlockedCall.NO_DEADLINE;
    long clockUserdata = 0;
    List<BlockedCall.Interest> interests = new ArrayList<>();
    int events = 0;
    for (int k = 0; k < count; k++) {
      int sub = in + k * SUBSCRIPTION_BYTES;
      long userdata = memory.readLong(sub);
      int tag = memory.read(sub + 8) & 0xff;
      if (tag == EVENT_CLOCK) {
        int id = memory.readInt(sub + 16);
        long timeout = memory.readLong(sub + 24);
        boolean absolute = (memory.readShort(sub + 40) & 1) != 0;
        long due;
        if (!absolute) {
          due = saturatedAdd(now, timeout);
        } else if (id == 0) {
          due = saturatedAdd(now, timeout - devices.clock().realtimeNanos());
        } else {
          due = timeout;
        }
        if (due < deadline) {
          deadline = due;
          clockUserdata = userdata;
        }
      } else if (tag == EVENT_FD_READ || tag == EVENT_FD_WRITE) {
        int fd = memory.readInt(sub + 16);
        BlockedCall.Interest interest = new BlockedCall.Interest(fd, tag == EVENT_FD_WRITE);
        interests.add(interest);
        long bytes = readyBytes(interest);
        if (bytes >= 0) {
          int ev = out + events * EVENT_BYTES;
          memory.fill((byte) 0, ev, ev + EVENT_BYTES);
          memory.writeLong(ev, userdata);
          memory.writeShort(ev + 8, (short) (fds.get(fd) == null ? WasiErrno.BADF : 0));
          memory.writeByte(ev + 10, (byte) tag);
          memory.writeLong(ev + 16, bytes);
          memory.writeShort(ev + 24, (short) (!interest.write() && hungUp(fd) ? HANGUP : 0));
          events++;
        }
      } else {
        guest.completed();
        return WasiErrno.INVAL;
      }
    }
    if (resumed != null && resumed.hasDeadline()) {
      deadline = resumed.deadlineNanos(); // the deadline of the call the guest blocked in
    }
    if (events == 0 && deadline != BlockedCall.NO_DEADLINE && now >= deadline) {
      int ev = out;
      memory.fill((byte) 0, ev, ev + EVENT_BYTES);
      memory.writeLong(ev, clockUserdata);
      memory.writeByte(ev + 10, (byte) EVENT_CLOCK);
      events = 1;
    }
    if (events > 0) {
      guest.completed();
      memory.writeI32(resultPtr, events);
      return WasiErrno.SUCCESS;
    }
    guest.block(new BlockedCall(interests, deadline));
    return WasiErrno.SUCCESS;
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    if (((a ^ r) & (b ^ r)) < 0) {
      return b > 0 ? BlockedCall.NO_DEADLINE - 1 : Long.MIN_VALUE;
    }
    return Math.min(r, BlockedCall.NO_DEADLINE - 1);
  }

  // ---- stdout and stderr into the agent's log -------------------------------------------------

  private void logOutput(int stream, byte[] bytes) {
    ByteArrayOutputStream line = lines[stream - 1];
    int max = devices.config().maxLogLine();
    for (byte b : bytes) {
      if (b == '\n') {
        flush(stream);
      } else if (line.size() < max) {
        line.write(b);
      }
    }
  }

  private void flush(int stream) {
    ByteArrayOutputStream line = lines[stream - 1];
    if (line.size() == 0) {
      return;
    }
    String text = line.toString(StandardCharsets.UTF_8);
    line.reset();
    long now = System.nanoTime();
    if (now - logWindowStart > 1_000_000_000L) {
      if (logLinesDropped > 0) {
        guestLog.warn("VM {}: {} guest output lines dropped (rate limit)", vmId, logLinesDropped);
      }
      logWindowStart = now;
      logLinesInWindow = 0;
      logLinesDropped = 0;
    }
    if (logLinesInWindow++ >= LOG_LINES_PER_SECOND) {
      logLinesDropped++;
      return;
    }
    if (stream == 1) {
      guestLog.info("[{} stdout] {}", vmId, text);
    } else {
      guestLog.warn("[{} stderr] {}", vmId, text);
    }
  }

  void flushLogs() {
    flush(1);
    flush(2);
  }
}
