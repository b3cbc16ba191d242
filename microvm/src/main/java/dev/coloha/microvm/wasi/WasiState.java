package dev.coloha.microvm.wasi;

import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.frame.Payload;
import dev.coloha.wire.frame.PayloadBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The host-side state of a WASI guest that a checkpoint carries (the DEVICE frame's guest state):
 * whether it runs, its descriptor table and, while it is unwound, its blocked call and its unwound
 * Wasm stack (Asyncify's data, which the host keeps: {@link AsyncifyStack}). A deadline travels as
 * the time left, like an ABI v1 timer, and is re-based on the receiver's monotonic clock.
 *
 * @param run where the guest is in its life
 * @param exitCode the status it exited with (when exited)
 * @param unwoundStack Asyncify's data without its header while unwound, else empty
 * @param descriptors its open descriptors
 * @param blocked its blocked call, or null
 * @param fileSystem the data file system's state ({@code DataFileSystem.state()}), empty without
 *     one
 * @param inetdConn the connection an inetd program's instance serves, or -1 (none, or not an inetd
 *     program)
 */
public record WasiState(
    Run run,
    int exitCode,
    byte[] unwoundStack,
    DescriptorTable descriptors,
    BlockedCall blocked,
    byte[] fileSystem,
    int inetdConn) {
  /**
   * 4: an inetd program's connection, {@link Run#WAITING} and {@link Descriptor.Inetd} (3, still
   * applied, had none of them; 3 brought directories and files of {@code /data} in the descriptor
   * table, and the file system's state; 2, still applied, had neither; 1, still applied given a
   * {@link Version1Stack}, had the address of a buffer in linear memory instead of the unwound
   * stack).
   */
  private static final int VERSION = 4;

  private static final int VERSION_FILES = 3;

  public WasiState(
      Run run,
      int exitCode,
      byte[] unwoundStack,
      DescriptorTable descriptors,
      BlockedCall blocked,
      byte[] fileSystem) {
    this(run, exitCode, unwoundStack, descriptors, blocked, fileSystem, -1);
  }

  private static final int VERSION_WITHOUT_FILES = 2;

  /** The largest file system state a checkpoint may carry. */
  public static final int MAX_FILE_SYSTEM_BYTES = 256 << 20;

  /**
   * 1: the unwound stack stayed in linear memory, in Asyncify's data at an address the state
   * carried (the host's own page at the end of memory), instead of travelling here.
   */
  private static final int VERSION_1 = 1;

  /**
   * Reads the unwound stack of a version 1 state out of linear memory (once the checkpoint's memory
   * is in place), given the address of Asyncify's data there, its 8-byte header first.
   */
  @FunctionalInterface
  public interface Version1Stack {
    /**
     * @throws CorruptStreamException if there is no such data in memory
     */
    byte[] at(int asyncifyData);
  }

  /** Where a WASI guest is in its life. */
  public enum Run {
    /** _start not called yet. */
    NOT_STARTED,
    /** Unwound in a blocking call: its whole state is memory, globals and this. */
    BLOCKED,
    /** Called proc_exit (or returned from _start). */
    EXITED,
    /** An inetd program between two connections: no instance runs, the next one is fresh. */
    WAITING
  }

  public byte[] encode(long nowNanos) {
    PayloadBuilder b = new PayloadBuilder(64 + descriptors.size() * 16 + unwoundStack.length);
    b.u8(VERSION).u8(run.ordinal()).i32(exitCode);
    b.i32(unwoundStack.length).bytes(unwoundStack);
    b.i32(descriptors.size());
    for (Map.Entry<Integer, Descriptor> e : descriptors.all().entrySet()) {
      b.i32(e.getKey());
      switch (e.getValue()) {
        case Descriptor.Stdio s -> b.u8(0).u16(s.fdflags()).i32(s.stream());
        case Descriptor.Listener l -> b.u8(1).u16(l.fdflags()).i32(0);
        case Descriptor.Socket s -> b.u8(2).u16(s.fdflags()).i32(s.conn());
        case Descriptor.Directory d ->
            b.u8(3).u16(d.fdflags()).i32(d.inode()).u8(d.preopen() ? 1 : 0);
        case Descriptor.File f ->
            b.u8(4)
                .u16(f.fdflags())
                .i32(f.inode())
                .i64(f.position())
                .u8((f.readable() ? 1 : 0) | (f.writable() ? 2 : 0));
        case Descriptor.Inetd i -> b.u8(5).u16(i.fdflags()).i32(i.conn()).u8(i.stream());
      }
    }
    if (blocked == null) {
      b.u8(0);
    } else {
      b.u8(1).i32(blocked.interests().size());
      for (BlockedCall.Interest i : blocked.interests()) {
        b.i32(i.fd()).u8(i.write() ? 1 : 0);
      }
      b.i64(blocked.hasDeadline() ? Math.max(0, blocked.deadlineNanos() - nowNanos) : -1);
    }
    b.i32(fileSystem.length).bytes(fileSystem);
    b.i32(inetdConn);
    return b.toByteArray();
  }

  /**
   * A state of this version only.
   *
   * @throws CorruptStreamException if the bytes are not a WASI state this host understands
   */
  public static WasiState decode(
      byte[] bytes, int maxDescriptors, int maxStackBytes, long nowNanos) {
    return decode(bytes, maxDescriptors, maxStackBytes, nowNanos, null);
  }

  /**
   * A state of this version, or of version 1 when {@code version1} is given: a blocked guest's
   * unwound stack is then what {@code version1} reads at the address the state carries.
   *
   * @throws CorruptStreamException if the bytes are not a WASI state this host understands
   */
  public static WasiState decode(
      byte[] bytes, int maxDescriptors, int maxStackBytes, long nowNanos, Version1Stack version1) {
    if (bytes.length == 0) {
      throw new CorruptStreamException("checkpoint carries no WASI guest state");
    }
    Payload p = new Payload(bytes);
    int version = p.u8();
    if (version != VERSION
        && version != VERSION_FILES
        && version != VERSION_WITHOUT_FILES
        && (version != VERSION_1 || version1 == null)) {
      throw new CorruptStreamException("WASI guest state version " + version);
    }
    int runCode = p.u8();
    if (runCode >= Run.values().length) {
      throw new CorruptStreamException("WASI run state " + runCode);
    }
    Run run = Run.values()[runCode];
    if (run == Run.WAITING && version < VERSION) {
      throw new CorruptStreamException("WASI run state WAITING in a state of version " + version);
    }
    int exitCode = p.i32();
    byte[] stack;
    if (version == VERSION_1) {
      int asyncifyData = p.i32();
      stack = run == Run.BLOCKED ? version1.at(asyncifyData) : new byte[0];
      if (stack.length > maxStackBytes) {
        throw new CorruptStreamException(
            "unwound stack of " + stack.length + " bytes, at most " + maxStackBytes);
      }
    } else {
      stack = p.bytes(p.count("unwound stack bytes", maxStackBytes));
    }
    int n = p.count("descriptors", maxDescriptors);
    DescriptorTable table = new DescriptorTable(maxDescriptors);
    for (int i = 0; i < n; i++) {
      int fd = p.i32();
      int kind = p.u8();
      int flags = p.u16();
      int arg = p.i32();
      if (fd < 0) {
        throw new CorruptStreamException("negative descriptor " + fd);
      }
      table.put(
          fd,
          switch (kind) {
            case 0 -> new Descriptor.Stdio(arg, flags);
            case 1 -> new Descriptor.Listener(flags);
            case 2 -> new Descriptor.Socket(arg, flags);
            case 3 -> new Descriptor.Directory(arg, filesIn(version) && p.u8() == 1, flags);
            case 4 -> {
              long position = filesIn(version) ? p.i64() : 0;
              int access = filesIn(version) ? p.u8() : 0;
              if (position < 0) {
                throw new CorruptStreamException("negative file position");
              }
              yield new Descriptor.File(arg, position, (access & 1) != 0, (access & 2) != 0, flags);
            }
            case 5 -> {
              if (version < VERSION) {
                throw new CorruptStreamException(
                    "an inetd descriptor in a WASI state of version " + version);
              }
              int stream = p.u8();
              if (stream > 1) {
                throw new CorruptStreamException("inetd stream " + stream);
              }
              yield new Descriptor.Inetd(stream, arg, flags);
            }
            default -> throw new CorruptStreamException("descriptor kind " + kind);
          });
    }
    BlockedCall blocked = null;
    if (p.u8() == 1) {
      int k = p.count("interests", maxDescriptors + 1);
      List<BlockedCall.Interest> interests = new ArrayList<>(k);
      for (int i = 0; i < k; i++) {
        interests.add(new BlockedCall.Interest(p.i32(), p.u8() == 1));
      }
      long left = p.i64();
      blocked =
          new BlockedCall(
              interests, left < 0 ? BlockedCall.NO_DEADLINE : Math.addExact(nowNanos, left));
    }
    byte[] fs = new byte[0];
    if (version >= VERSION_FILES) {
      fs = p.bytes(p.count("file system state bytes", MAX_FILE_SYSTEM_BYTES));
    }
    int inetdConn = -1;
    if (version >= VERSION) {
      inetdConn = p.i32();
      if (inetdConn < -1) {
        throw new CorruptStreamException("inetd connection " + inetdConn);
      }
    }
    p.end();
    return new WasiState(run, exitCode, stack, table, blocked, fs, inetdConn);
  }

  private static boolean filesIn(int version) {
    if (version < VERSION_FILES) {
      throw new CorruptStreamException("a file descriptor in a WASI state of version " + version);
    }
    return true;
  }
}
