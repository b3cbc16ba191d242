package dev.coloha.testkit;

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

/**
 * RESP2, as the kv guests and Redis speak it: {@link #command} encodes a request (for a test that
 * feeds a VM's input itself), and an instance is a minimal client on one TCP connection, so a test
 * sees exactly what the proxy released.
 */
public final class Resp implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  public Resp(String host, int port, int timeoutMillis) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress(host, port), timeoutMillis);
    socket.setSoTimeout(timeoutMillis);
    socket.setTcpNoDelay(true);
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** Sends a command and reads its reply: a String, Long, List, null, or a {@link Error}. */
  public Object call(String... args) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    encode(b, args);
    out.write(b.toByteArray());
    out.flush();
    return read();
  }

  /** Sends {@code times} copies of a command in one write (a pipelined burst), then reads them. */
  public List<Object> pipelined(int times, String... args) throws IOException {
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

  /** One request as a RESP2 array of bulk strings. */
  public static byte[] command(String... args) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    encode(b, args);
    return b.toByteArray();
  }

  private static void encode(ByteArrayOutputStream b, String... args) {
    b.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (String a : args) {
      byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
      b.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      b.writeBytes(bytes);
      b.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
  }

  /** An error reply ({@code -ERR ...}). */
  public record Error(String message) {}

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
