package dev.coloha.agent.streamport;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** An HTTP/1.1 request line and header fields (names lower-cased), read up to the empty line. */
record RequestHead(String method, String target, Map<String, String> headers) {

  String header(String name) {
    return headers.get(name);
  }

  /** Reads a request head of at most {@code max} bytes; a malformed one is an IOException. */
  static RequestHead read(InputStream in, int max) throws IOException {
    byte[] buf = new byte[max];
    int n = 0;
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException("the connection ended inside the request head");
      }
      if (n == max) {
        throw new IOException("request head longer than " + max + " bytes");
      }
      buf[n++] = (byte) c;
      if (n >= 4 && buf[n - 4] == '\r' && buf[n - 3] == '\n' && buf[n - 2] == '\r' && c == '\n') {
        break;
      }
    }
    String[] lines = new String(buf, 0, n - 4, StandardCharsets.ISO_8859_1).split("\r\n");
    String[] request = lines[0].split(" ");
    if (request.length != 3 || !request[2].startsWith("HTTP/1.")) {
      throw new IOException("bad request line '" + lines[0] + "'");
    }
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        throw new IOException("bad header line '" + lines[i] + "'");
      }
      headers.put(
          lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
          lines[i].substring(colon + 1).trim());
    }
    return new RequestHead(request[0], request[1], headers);
  }
}
