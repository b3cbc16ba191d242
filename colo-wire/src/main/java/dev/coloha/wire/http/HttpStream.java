package dev.coloha.wire.http;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One long-lived HTTP/1.1 exchange over its own socket, for binary streams: a chunked request body
 * written as it is produced (each {@code flush()} sends a chunk at once) and a response read as it
 * arrives, both at the same time if the server does so too (full duplex).
 *
 * <p>The JDK's HttpClient buffers streamed request bodies and cannot read a response before the
 * request ends; COLO's data streams need neither, hence this small client. Plain HTTP only: the
 * streams run inside a trusted network, authenticated by a shared token header.
 */
public final class HttpStream implements AutoCloseable {
  private final Socket socket;
  private final InputStream rawIn;
  private final ChunkedOutputStream body;
  private int status = -1;
  private Map<String, String> headers;
  private InputStream response;

  private HttpStream(Socket socket, InputStream in, OutputStream out, boolean withBody) {
    this.socket = socket;
    this.rawIn = in;
    this.body = withBody ? new ChunkedOutputStream(out) : null;
  }

  /**
   * Connects and sends the request head.
   *
   * @param method e.g. POST (with a streamed body) or GET (without)
   * @param uri http URI
   * @param requestHeaders extra headers (e.g. Authorization)
   * @param connectTimeout TCP connect timeout
   * @param readTimeout longest silence tolerated on the response (0: none)
   */
  public static HttpStream open(
      String method,
      URI uri,
      Map<String, String> requestHeaders,
      Duration connectTimeout,
      Duration readTimeout)
      throws IOException {
    if (!"http".equals(uri.getScheme())) {
      throw new IllegalArgumentException("only http:// streams are supported: " + uri);
    }
    boolean withBody = !method.equals("GET") && !method.equals("DELETE");
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.setKeepAlive(true);
      int port = uri.getPort() < 0 ? 80 : uri.getPort();
      s.connect(new InetSocketAddress(uri.getHost(), port), (int) connectTimeout.toMillis());
      s.setSoTimeout((int) readTimeout.toMillis());
      OutputStream out = new CoalescingOutputStream(s.getOutputStream(), 1 << 16);
      InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
      StringBuilder head = new StringBuilder();
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      if (uri.getRawQuery() != null) {
        path += "?" + uri.getRawQuery();
      }
      head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
      head.append("Host: ").append(uri.getHost()).append(':').append(port).append("\r\n");
      for (var e : requestHeaders.entrySet()) {
        head.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
      }
      if (withBody) {
        head.append("Transfer-Encoding: chunked\r\n");
        if (!requestHeaders.containsKey("Content-Type")) {
          head.append("Content-Type: application/octet-stream\r\n");
        }
      }
      head.append("Connection: close\r\n\r\n");
      out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return new HttpStream(s, in, out, withBody);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /** The request body; {@code flush()} sends what was written as one chunk, close() ends it. */
  public OutputStream body() {
    if (body == null) {
      throw new IllegalStateException("this request has no body");
    }
    return body;
  }

  /** Response status; blocks until the response head arrives. */
  public int status() throws IOException {
    readHead();
    return status;
  }

  /** Response headers, lower-case names. */
  public Map<String, String> headers() throws IOException {
    readHead();
    return headers;
  }

  /** The response body, decoded (chunked, sized or until the server closes). */
  public InputStream response() throws IOException {
    readHead();
    return response;
  }

  private synchronized void readHead() throws IOException {
    if (status >= 0) {
      return;
    }
    String line = readLine(rawIn);
    while (line.isEmpty()) {
      line = readLine(rawIn);
    }
    String[] parts = line.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP/1.x response: " + line);
    }
    int code = Integer.parseInt(parts[1]);
    Map<String, String> h = new LinkedHashMap<>();
    for (String l = readLine(rawIn); !l.isEmpty(); l = readLine(rawIn)) {
      int colon = l.indexOf(':');
      if (colon > 0) {
        h.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
      }
    }
    if (code == 100) {
      readHead();
      return;
    }
    headers = h;
    String te = h.getOrDefault("transfer-encoding", "");
    if (te.toLowerCase(Locale.ROOT).contains("chunked")) {
      response = new ChunkedInputStream(rawIn);
    } else if (h.containsKey("content-length")) {
      response = new SizedInputStream(rawIn, Long.parseLong(h.get("content-length")));
    } else {
      response = rawIn;
    }
    status = code;
  }

  /** Longest line of an HTTP head or chunk header this client reads. */
  private static final int MAX_LINE = 8192;

  static String readLine(InputStream in) throws IOException {
    return readLine(in, MAX_LINE);
  }

  /**
   * One line of an HTTP/1.1 head or chunk header, without its line end (CRLF or a bare LF).
   *
   * @throws EOFException if the stream ends inside the line
   * @throws IOException if the line is longer than {@code max} bytes
   */
  public static String readLine(InputStream in, int max) throws IOException {
    StringBuilder sb = new StringBuilder();
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException("the stream ended inside an HTTP line");
      }
      if (c == '\n') {
        int n = sb.length();
        if (n > 0 && sb.charAt(n - 1) == '\r') {
          sb.setLength(n - 1);
        }
        return sb.toString();
      }
      if (sb.length() >= max) {
        throw new IOException("HTTP line longer than " + max + " bytes");
      }
      sb.append((char) c);
    }
  }

  /** Whole response body as text (for error responses). */
  public String responseText(int max) throws IOException {
    return new String(response().readNBytes(max), StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  public boolean isClosed() {
    return socket.isClosed();
  }

  /** Chunked transfer encoding; each flush is one chunk. */
  private static final class ChunkedOutputStream extends OutputStream {
    private final OutputStream out;
    private final byte[] buf = new byte[1 << 16];
    private int n;
    private boolean closed;

    ChunkedOutputStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      if (n == buf.length) {
        chunk();
      }
      buf[n++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (closed) {
        throw new IOException("stream closed");
      }
      if (len >= buf.length) {
        chunk();
        header(len);
        out.write(b, off, len);
        out.write('\r');
        out.write('\n');
        return;
      }
      if (n + len > buf.length) {
        chunk();
      }
      System.arraycopy(b, off, buf, n, len);
      n += len;
    }

    private void header(int len) throws IOException {
      out.write(Integer.toHexString(len).getBytes(StandardCharsets.ISO_8859_1));
      out.write('\r');
      out.write('\n');
    }

    private void chunk() throws IOException {
      if (n > 0) {
        header(n);
        out.write(buf, 0, n);
        out.write('\r');
        out.write('\n');
        n = 0;
      }
    }

    @Override
    public void flush() throws IOException {
      chunk();
      out.flush();
    }

    @Override
    public void close() throws IOException {
      if (!closed) {
        flush();
        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        closed = true;
      }
    }
  }

  /** Decodes a chunked body. */
  private static final class ChunkedInputStream extends InputStream {
    private final InputStream in;
    private long left;
    private boolean done;

    ChunkedInputStream(InputStream in) {
      this.in = in;
    }

    private boolean next() throws IOException {
      if (done) {
        return false;
      }
      if (left == 0) {
        String line = readLine(in);
        if (line.isEmpty()) {
          line = readLine(in); // CRLF after the previous chunk
        }
        int semi = line.indexOf(';');
        long size = Long.parseLong((semi >= 0 ? line.substring(0, semi) : line).trim(), 16);
        if (size == 0) {
          while (!readLine(in).isEmpty()) {
            // trailers
          }
          done = true;
          return false;
        }
        left = size;
      }
      return true;
    }

    @Override
    public int read() throws IOException {
      if (!next()) {
        return -1;
      }
      int c = in.read();
      if (c < 0) {
        throw new EOFException("connection closed inside a chunk");
      }
      left--;
      return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (!next()) {
        return -1;
      }
      int r = in.read(b, off, (int) Math.min(len, left));
      if (r < 0) {
        throw new EOFException("connection closed inside a chunk");
      }
      left -= r;
      return r;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(left, in.available());
    }
  }

  /** A body of known length. */
  private static final class SizedInputStream extends InputStream {
    private final InputStream in;
    private long left;

    SizedInputStream(InputStream in, long length) {
      this.in = in;
      this.left = length;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int c = in.read();
      if (c >= 0) {
        left--;
      }
      return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int r = in.read(b, off, (int) Math.min(len, left));
      if (r > 0) {
        left -= r;
      }
      return r;
    }
  }
}
