package dev.coloha.proxy.event;

import java.util.HexFormat;

/** Bytes as text a person can read in JSON: printable ASCII kept, the rest escaped. */
public final class Samples {
  private Samples() {}

  public static String escaped(byte[] b) {
    StringBuilder sb = new StringBuilder(b.length + 8);
    for (byte x : b) {
      int c = x & 0xff;
      switch (c) {
        case '\r' -> sb.append("\\r");
        case '\n' -> sb.append("\\n");
        case '\t' -> sb.append("\\t");
        case '\\' -> sb.append("\\\\");
        default -> {
          if (c >= 0x20 && c < 0x7f) {
            sb.append((char) c);
          } else {
            sb.append("\\x").append(HexFormat.of().toHexDigits((byte) c));
          }
        }
      }
    }
    return sb.toString();
  }

  public static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
