package dev.coloha.wire.block;

import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A scripted stand-in for a mirror's Unix-domain I/O socket: it reads the ATTACH frame, then hands
 * the request frames and a reply stream to the test's script, one connection after another. {@link
 * #killConnections()} closes every connection as a mirror killed with {@code kill -9} would.
 */
final class FakeUnixMirror implements AutoCloseable {
  /** What the mirror does with one connection (after the ATTACH). */
  interface Script {
    void run(FrameInput requests, FrameOutput replies, BlockFrameCodec codec) throws IOException;
  }

  private final Path dir;
  private final Path socket;
  private final ServerSocketChannel server;
  private final CopyOnWriteArrayList<SocketChannel> connections = new CopyOnWriteArrayList<>();

  FakeUnixMirror(Script script) throws IOException {
    dir = Files.createTempDirectory("fake-mirror");
    socket = dir.resolve("io.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread.ofPlatform()
        .daemon()
        .start(
            () -> {
              try {
                while (true) {
                  SocketChannel ch = server.accept();
                  connections.add(ch);
                  Thread.ofPlatform().daemon().start(() -> serve(ch, script));
                }
              } catch (IOException e) {
                // closed
              }
            });
  }

  URI uri() {
    return URI.create("unix:" + socket);
  }

  /** Closes every connection: the client sees its stream end. */
  void killConnections() {
    for (SocketChannel ch : connections) {
      try {
        ch.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    connections.clear();
  }

  private void serve(SocketChannel ch, Script script) {
    try (ch) {
      FrameInput in =
          FrameInput.unchecked(new BufferedInputStream(Channels.newInputStream(ch)), 1 << 21);
      OutputStream raw = new BufferedOutputStream(Channels.newOutputStream(ch));
      FrameOutput out = FrameOutput.unchecked(raw);
      BlockFrameCodec codec = new BlockFrameCodec();
      if (!(codec.read(in) instanceof BlockFrame.Attach)) {
        return;
      }
      script.run(in, out, codec);
    } catch (IOException e) {
      // the client went away, or the test killed the connection
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    killConnections();
    Files.deleteIfExists(socket);
    Files.deleteIfExists(dir);
  }
}
