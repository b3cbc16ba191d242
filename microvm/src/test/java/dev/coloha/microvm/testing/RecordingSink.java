package dev.coloha.microvm.testing;

import dev.coloha.microvm.GuestTrapException;
import dev.coloha.microvm.OutputSink;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/** Collects a VM's output per connection, checking that offsets are contiguous. */
public final class RecordingSink implements OutputSink {
  private final Map<Integer, ByteArrayOutputStream> out = new ConcurrentHashMap<>();
  private final Map<Integer, Long> nextOffset = new ConcurrentHashMap<>();
  private final Set<Integer> closed = ConcurrentHashMap.newKeySet();
  private final AtomicReference<GuestTrapException> crash = new AtomicReference<>();
  private final AtomicReference<String> error = new AtomicReference<>();
  private final boolean checkOffsets;

  /** A sink that flags any gap or overlap in a connection's output offsets. */
  public RecordingSink() {
    this(true);
  }

  /**
   * @param checkOffsets false for a secondary, whose offsets jump when a checkpoint repositions it
   */
  public RecordingSink(boolean checkOffsets) {
    this.checkOffsets = checkOffsets;
  }

  @Override
  public synchronized void output(int conn, long interval, long offset, byte[] bytes) {
    long expected = nextOffset.getOrDefault(conn, offset);
    if (checkOffsets && expected != offset) {
      error.compareAndSet(
          null, "conn " + conn + ": output at " + offset + ", expected " + expected);
    }
    nextOffset.put(conn, offset + bytes.length);
    out.computeIfAbsent(conn, c -> new ByteArrayOutputStream()).writeBytes(bytes);
  }

  @Override
  public void closed(int conn, long interval, long endOffset) {
    closed.add(conn);
  }

  @Override
  public void crashed(GuestTrapException cause) {
    crash.set(cause);
  }

  public synchronized byte[] bytes(int conn) {
    ByteArrayOutputStream b = out.get(conn);
    return b == null ? new byte[0] : b.toByteArray();
  }

  public String text(int conn) {
    return new String(bytes(conn), StandardCharsets.ISO_8859_1);
  }

  public synchronized long produced(int conn) {
    return nextOffset.getOrDefault(conn, 0L);
  }

  public boolean closed(int conn) {
    return closed.contains(conn);
  }

  public GuestTrapException crash() {
    return crash.get();
  }

  /** An offset gap seen in the output, or null. */
  public String error() {
    return error.get();
  }

  /** Forgets what was recorded (offsets continue). */
  public synchronized void clear() {
    out.clear();
  }
}
