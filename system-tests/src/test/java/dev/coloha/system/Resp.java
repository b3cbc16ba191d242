package dev.coloha.system;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A minimal RESP2 client on one TCP connection: the tests see exactly what the proxy released. */
final class Resp implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  Resp(String host, int port, int timeoutMillis) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress(host, port), timeoutMillis);
    socket.setSoTimeout(timeoutMillis);
    socket.setTcpNoDelay(true);
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** Sends a command and reads its reply: a String, Long, List, null, or a {@link Error}. */
  Object call(String... args) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    encode(b, args);
    out.write(b.toByteArray());
    out.flush();
    return read();
  }

  /** Sends {@code times} copies of a command in one write (a pipelined burst), then reads them. */
  List<Object> pipelined(int times, String... args) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int i = 0; i < times; i++) {
      encode(b, args);
    }
    out.write(b.toByteArray());
    out.flush();
    List<Object> replies = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      replies.add(read());
    }
    return replies;
  }

  private static void encode(ByteArrayOutputStream b, String... args) throws IOException {
    b.write(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (String a : args) {
      byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
      b.write(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      b.write(bytes);
      b.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
  }

  record Error(String message) {}

  private Object read() throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new IOException("connection closed by the server");
    }
    String line = line();
    return switch (type) {
      case '+' -> line;
      case '-' -> new Error(line);
      case ':' -> Long.parseLong(line);
      case '$' -> {
        int n = Integer.parseInt(line);
        if (n < 0) {
          yield null;
        }
        byte[] data = in.readNBytes(n);
        line();
        yield new String(data, StandardCharsets.UTF_8);
      }
      case '*' -> {
        int n = Integer.parseInt(line);
        List<Object> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          items.add(read());
        }
        yield items;
      }
      default -> throw new IOException("not a RESP reply: type byte " + type);
    };
  }

  private String line() throws IOException {
    StringBuilder s = new StringBuilder();
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("connection closed in a reply");
      }
      if (c == '\r') {
        in.read();
        return s.toString();
      }
      s.append((char) c);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
