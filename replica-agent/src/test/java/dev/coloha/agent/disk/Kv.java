package dev.coloha.agent.disk;

import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.OutputSink;
import dev.coloha.microvm.conn.InputEvent;
import dev.coloha.microvm.guest.GuestCatalog;
import dev.coloha.microvm.guest.GuestLoader;
import dev.coloha.microvm.guest.GuestModule;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bundled kv guest, a client that feeds RESP requests ({@code Resp.command}) to a VM, and a
 * sink that keeps each connection's output.
 */
final class Kv {
  private static final GuestCatalog CATALOG =
      new GuestCatalog(new GuestLoader(16 << 20, Set.of(1), true), Optional.empty());

  private Kv() {}

  static GuestModule guest() {
    return CATALOG.get("kv");
  }

  /** Sends requests on one connection of a VM, keeping the input offset. */
  static final class Client {
    private final MicroVm vm;
    private final int conn;
    private long offset;

    Client(MicroVm vm, int conn) {
      this.vm = vm;
      this.conn = conn;
      vm.submit(new InputEvent.Open(conn));
    }

    void send(byte[] bytes) {
      vm.submit(new InputEvent.Data(conn, offset, bytes));
      offset += bytes.length;
    }
  }

  /** Each connection's output bytes in order (offsets may jump on a secondary). */
  static final class Sink implements OutputSink {
    private final Map<Integer, ByteArrayOutputStream> out = new ConcurrentHashMap<>();

    @Override
    public synchronized void output(int conn, long interval, long offset, byte[] bytes) {
      out.computeIfAbsent(conn, c -> new ByteArrayOutputStream()).writeBytes(bytes);
    }

    @Override
    public void closed(int conn, long interval, long endOffset) {}

    synchronized String text(int conn) {
      ByteArrayOutputStream b = out.get(conn);
      return b == null ? "" : b.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
