package dev.coloha.microvm.wasi;

/**
 * What a WASI file descriptor of a guest refers to. Part of the checkpointed device state: a
 * connection is named by its id in the VM's connection table, which carries its offsets.
 */
public sealed interface Descriptor {
  /** {@code FDFLAGS_NONBLOCK}: calls on it answer {@code EAGAIN} instead of waiting. */
  int NONBLOCK = 1 << 2;

  /** WASI fd flags (only {@link #NONBLOCK} has a meaning here). */
  int fdflags();

  Descriptor withFdflags(int flags);

  /** WASI filetype code of {@code fd_fdstat_get}. */
  int filetype();

  /** Standard input (always at end of file), output or error (to the agent's log). */
  record Stdio(int stream, int fdflags) implements Descriptor {
    @Override
    public Descriptor withFdflags(int flags) {
      return new Stdio(stream, flags);
    }

    @Override
    public int filetype() {
      return 2; // character device
    }
  }

  /** The group's listening socket ({@code COLO_LISTEN_FD}); accept takes client connections. */
  record Listener(int fdflags) implements Descriptor {
    @Override
    public Descriptor withFdflags(int flags) {
      return new Listener(flags);
    }

    @Override
    public int filetype() {
      return 6; // socket stream
    }
  }

  /** One client connection that the proxy delivered and the guest accepted. */
  record Socket(int conn, int fdflags) implements Descriptor {
    @Override
    public Descriptor withFdflags(int flags) {
      return new Socket(conn, flags);
    }

    @Override
    public int filetype() {
      return 6; // socket stream
    }
  }

  /**
   * Standard input ({@code stream} 0: reads take the connection's input, end of file when the
   * client closed) or output ({@code stream} 1: writes are the connection's output) of an inetd
   * program, the connection {@code conn} it serves. Closing both closes the connection.
   */
  record Inetd(int stream, int conn, int fdflags) implements Descriptor {
    @Override
    public Descriptor withFdflags(int flags) {
      return new Inetd(stream, conn, flags);
    }

    @Override
    public int filetype() {
      return 6; // socket stream, as inetd's descriptors are
    }
  }

  /** {@code FDFLAGS_APPEND}: every write of a file goes to its end. */
  int APPEND = 1;

  /**
   * A directory of the data file system ({@code /data} itself when {@code preopen}): the inode of
   * the directory in {@link dev.coloha.microvm.wasi.fs.DataFileSystem}.
   */
  record Directory(int inode, boolean preopen, int fdflags) implements Descriptor {
    @Override
    public Descriptor withFdflags(int flags) {
      return new Directory(inode, preopen, flags);
    }

    @Override
    public int filetype() {
      return 3; // directory
    }
  }

  /** An open file of the data file system, with its position and access. */
  record File(int inode, long position, boolean readable, boolean writable, int fdflags)
      implements Descriptor {
    @Override
    public Descriptor withFdflags(int flags) {
      return new File(inode, position, readable, writable, flags);
    }

    public File at(long newPosition) {
      return new File(inode, newPosition, readable, writable, fdflags);
    }

    @Override
    public int filetype() {
      return 4; // regular file
    }
  }

  default boolean nonblocking() {
    return (fdflags() & NONBLOCK) != 0;
  }
}
