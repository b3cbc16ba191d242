package dev.coloha.agent.streamport;

import dev.coloha.wire.http.HttpStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Decodes an HTTP/1.1 chunked request body ({@code size-in-hex [;ext] CRLF data CRLF ... 0 CRLF
 * trailers CRLF}). A malformed chunk line is an {@link IOException}; the body ends at the last
 * chunk.
 */
final class ChunkedBodyInputStream extends InputStream {
  /** Longest chunk-size line accepted (hex size plus extensions). */
  static final int MAX_LINE = 256;

  private final InputStream in;
  private long left; // bytes left in the current chunk
  private boolean ended;

  ChunkedBodyInputStream(InputStream in) {
    this.in = in;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (ended) {
      return -1;
    }
    if (left == 0) {
      left = nextChunk();
      if (left == 0) {
        ended = true;
        return -1;
      }
    }
    int n = in.read(b, off, (int) Math.min(len, left));
    if (n < 0) {
      throw new EOFException("the request body ended inside a chunk");
    }
    left -= n;
    if (left == 0) {
      crlf();
    }
    return n;
  }

  @Override
  public int available() throws IOException {
    return ended ? 0 : (int) Math.min(left, in.available());
  }

  private long nextChunk() throws IOException {
    String line = line();
    int semi = line.indexOf(';');
    String hex = (semi < 0 ? line : line.substring(0, semi)).trim();
    if (hex.isEmpty() || hex.length() > 15) {
      throw new IOException("bad chunk size line: '" + line + "'");
    }
    long size;
    try {
      size = Long.parseLong(hex, 16);
    } catch (NumberFormatException e) {
      throw new IOException("bad chunk size line: '" + line + "'");
    }
    if (size < 0) {
      throw new IOException("bad chunk size line: '" + line + "'");
    }
    if (size == 0) {
      while (!line().isEmpty()) {
        // trailer fields: ignored
      }
    }
    return size;
  }

  private void crlf() throws IOException {
    if (in.read() != '\r' || in.read() != '\n') {
      throw new IOException("a chunk does not end with CRLF");
    }
  }

  private String line() throws IOException {
    return HttpStream.readLine(in, MAX_LINE);
  }
}
