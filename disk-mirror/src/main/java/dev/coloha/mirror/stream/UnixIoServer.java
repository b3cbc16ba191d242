package dev.coloha.mirror.stream;

import dev.coloha.mirror.volume.Volume;
import dev.coloha.mirror.volume.VolumeObserver;
import dev.coloha.mirror.volume.Volumes;
import dev.coloha.wire.ColoException;
import dev.coloha.wire.CorruptStreamException;
import dev.coloha.wire.block.BlockErrors;
import dev.coloha.wire.block.BlockFrame;
import dev.coloha.wire.block.BlockFrameCodec;
import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agents' I/O streams on a Unix-domain socket, for an agent on the mirror's own host: no HTTP,
 * no chunking, no Tomcat thread hand-off. A connection starts with an ATTACH frame (volume, epoch)
 * where the HTTP stream has its request line; the mirror answers HELLO or, refused, an ERROR frame
 * with the typed error the HTTP stream would give as a problem document. Then it is the same {@link
 * IoSession} as the HTTP stream, served on a platform thread of its own.
 *
 * <p>Only processes that can open the socket file can attach: it is created owner-only ({@code
 * rw-------}), so an agent must run as the mirror's user (or share its group through the directory,
 * as containers sharing a volume do).
 */
public final class UnixIoServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UnixIoServer.class);

  private final Path path;
  private final Volumes volumes;
  private final VolumeObserver observer;
  private final int maxFrame;
  private final Duration pollAfterFlush;
  private final ServerSocketChannel server;
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private UnixIoServer(
      Path path, Volumes volumes, VolumeObserver observer, int maxFrame, Duration pollAfterFlush)
      throws IOException {
    this.path = path;
    this.volumes = volumes;
    this.observer = observer;
    this.maxFrame = maxFrame;
    this.pollAfterFlush = pollAfterFlush;
    Files.createDirectories(path.toAbsolutePath().getParent());
    Files.deleteIfExists(path); // a socket file left by an earlier process
    this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: the directory's permissions protect it
    }
  }

  /** Listens on {@code path} and serves every connection on a virtual thread. */
  public static UnixIoServer start(
      Path path, Volumes volumes, VolumeObserver observer, int maxFrame) throws IOException {
    return start(path, volumes, observer, maxFrame, Duration.ZERO);
  }

  /**
   * As {@link #start(Path, Volumes, VolumeObserver, int)}; after answering a flush, a stream's
   * thread polls its socket for the next request for up to {@code pollAfterFlush}.
   */
  public static UnixIoServer start(
      Path path, Volumes volumes, VolumeObserver observer, int maxFrame, Duration pollAfterFlush)
      throws IOException {
    UnixIoServer s = new UnixIoServer(path, volumes, observer, maxFrame, pollAfterFlush);
    Thread.ofPlatform().daemon().name("mirror-unix-io").start(s::acceptLoop);
    log.info("I/O streams also on unix:{}", path.toAbsolutePath());
    return s;
  }

  public Path path() {
    return path;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        SocketChannel ch = server.accept();
        open.add(ch);
        // a platform thread: its reads and writes block in the kernel, one system call each; a
        // virtual thread's add the poller's (EAGAIN, epoll_ctl, epoll_wait, futex hand-offs to
        // and from a carrier: issue 18's profile, ~40 system calls per write). One per agent's
        // disk on this host.
        Thread.ofPlatform().daemon().name("mirror-unix-io-stream").start(() -> serve(ch));
      } catch (IOException e) {
        if (!closed) {
          log.warn("unix:{} stopped accepting: {}", path, e.toString());
        }
        return;
      }
    }
  }

  private void serve(SocketChannel ch) {
    String volume = "?";
    try (ch) {
      // the session reads on through the same buffer, after the ATTACH frame
      InputStream in = new FrameBuffer(ch, 1 << 16, pollAfterFlush);
      OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
      BlockFrameCodec codec = new BlockFrameCodec();
      FrameInput frames = FrameInput.unchecked(in, maxFrame);
      BlockFrame first = codec.read(frames);
      if (!(first instanceof BlockFrame.Attach attach)) {
        throw new CorruptStreamException("an I/O stream on the socket starts with ATTACH");
      }
      volume = attach.volume();
      IoSession session;
      BlockFrame.Hello hello;
      try {
        Volume v = volumes.get(attach.volume());
        session = new IoSession(v, attach.epoch(), observer, maxFrame);
        hello = session.attach();
      } catch (ColoException e) {
        observer.rejected(attach.volume(), e.type());
        FrameOutput fo = FrameOutput.unchecked(out);
        codec.write(new BlockFrame.Error(e.type(), e.getMessage(), BlockErrors.details(e)), fo);
        out.flush();
        return;
      }
      IoSession.Summary s = session.serve(hello, in, out);
      log.debug("unix I/O stream of volume {} ended: {}", volume, s);
    } catch (IOException | ColoException e) {
      log.info("unix I/O stream of volume {} lost: {}", volume, e.toString()); // the agent left
    } finally {
      open.remove(ch);
    }
  }

  /** Stops accepting, ends every stream and removes the socket file. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (SocketChannel ch : open) {
      try {
        ch.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.debug("cannot remove {}: {}", path, e.toString());
    }
  }
}
