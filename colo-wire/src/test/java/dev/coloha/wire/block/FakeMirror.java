package dev.coloha.wire.block;

import dev.coloha.wire.frame.FrameInput;
import dev.coloha.wire.frame.FrameOutput;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A scripted stand-in for a mirror's I/O stream on a loopback port: it reads the request head, then
 * hands the decoded request frames and a response stream to the test's script. Just enough HTTP/1.1
 * for {@link BlockClient}.
 */
final class FakeMirror implements AutoCloseable {
  /** What the mirror does with one connection. */
  interface Script {
    void run(String requestLine, FrameInput requests, FrameOutput replies, BlockFrameCodec codec)
        throws IOException;
  }

  private final ServerSocket server;
  private final CopyOnWriteArrayList<Socket> sockets = new CopyOnWriteArrayList<>();

  FakeMirror(String statusLine, String body, Script script) throws IOException {
    server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                while (true) {
                  Socket s = server.accept();
                  sockets.add(s);
                  Thread.ofVirtual().start(() -> serve(s, statusLine, body, script));
                }
              } catch (IOException e) {
                // closed
              }
            });
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  private void serve(Socket s, String statusLine, String body, Script script) {
    try (s) {
      InputStream in = new BufferedInputStream(s.getInputStream());
      String requestLine = line(in);
      while (!line(in).isEmpty()) {
        // headers
      }
      OutputStream out = new BufferedOutputStream(s.getOutputStream());
      if (body != null) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        out.write(
            (statusLine
                    + "\r\nContent-Type: application/problem+json\r\nContent-Length: "
                    + b.length
                    + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(b);
        out.flush();
        return;
      }
      out.write(
          (statusLine + "\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      FrameOutput replies =
          new FrameOutput(
              new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                  out.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                  out.write(b, off, len);
                }

                @Override
                public void flush() throws IOException {
                  out.flush();
                }
              });
      script.run(
          requestLine, new FrameInput(new Chunked(in), 1 << 21), replies, new BlockFrameCodec());
    } catch (IOException e) {
      // the client went away
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException();
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  /** Decodes a chunked request body. */
  private static final class Chunked extends InputStream {
    private final InputStream in;
    private long left;
    private boolean done;

    Chunked(InputStream in) {
      this.in = in;
    }

    private boolean more() throws IOException {
      if (done) {
        return false;
      }
      if (left == 0) {
        String size = line(in);
        if (size.isEmpty()) {
          size = line(in);
        }
        left = Long.parseLong(size.trim(), 16);
        if (left == 0) {
          done = true;
          return false;
        }
      }
      return true;
    }

    @Override
    public int read() throws IOException {
      if (!more()) {
        return -1;
      }
      left--;
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (!more()) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
