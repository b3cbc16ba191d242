package dev.coloha.proxy.compare;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Records what a comparator does: released bytes per connection, closes, resets, mismatches. */
final class Recorder implements OutputEffects {
  final Map<Integer, ByteArrayOutputStream> released = new HashMap<>();
  final Set<Integer> closed = new HashSet<>();
  final Map<Integer, String> resets = new HashMap<>();
  final List<Mismatch> mismatches = new ArrayList<>();
  final List<String> pressure = new ArrayList<>();
  long buffered;

  @Override
  public void release(int conn, Chunk bytes) {
    if (closed.contains(conn) || resets.containsKey(conn)) {
      throw new AssertionError("release after close of " + conn);
    }
    released
        .computeIfAbsent(conn, c -> new ByteArrayOutputStream())
        .write(bytes.array(), bytes.from(), bytes.remaining());
  }

  @Override
  public void closeClient(int conn) {
    if (!closed.add(conn)) {
      throw new AssertionError("closed twice: " + conn);
    }
  }

  @Override
  public void resetClient(int conn, String reason) {
    resets.put(conn, reason);
  }

  @Override
  public void mismatch(Mismatch m) {
    mismatches.add(m);
  }

  @Override
  public void pressure(int conn, boolean over, long bytes) {
    pressure.add(conn + ":" + over);
  }

  byte[] bytes(int conn) {
    ByteArrayOutputStream b = released.get(conn);
    return b == null ? new byte[0] : b.toByteArray();
  }

  String text(int conn) {
    return new String(bytes(conn), StandardCharsets.ISO_8859_1);
  }

  @Override
  public void buffered(long bytes) {
    buffered = bytes;
  }
}
