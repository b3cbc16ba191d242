package dev.coloha.agent.standalone;

import dev.coloha.microvm.GuestTrapException;
import dev.coloha.microvm.MicroVm;
import dev.coloha.microvm.OutputSink;
import dev.coloha.microvm.conn.InputEvent;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Standalone network mode: the agent itself listens on a TCP port for one VM and connects real
 * clients straight to it. No replication: the unreplicated baseline.
 */
public final class StandaloneListener implements OutputSink, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StandaloneListener.class);

  private final MicroVm vm;
  private final StandaloneLimits limits;
  private final ServerSocket server;
  private final Map<Integer, ClientSession> sessions = new ConcurrentHashMap<>();
  private final AtomicInteger nextConn;
  private final AtomicInteger accepted = new AtomicInteger();
  private volatile boolean closed;

  private StandaloneListener(MicroVm vm, StandaloneLimits limits, ServerSocket server) {
    this.vm = vm;
    this.limits = limits;
    this.server = server;
    this.nextConn = new AtomicInteger(vm.highestConnectionId() + 1);
  }

  /** Binds the port and starts accepting; the VM's output is routed to its clients from now on. */
  public static StandaloneListener open(
      MicroVm vm, String bindAddress, int port, StandaloneLimits limits) throws IOException {
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(bindAddress, port), 512);
    StandaloneListener listener = new StandaloneListener(vm, limits, server);
    vm.outputSink(listener);
    Thread.ofVirtual().name("standalone-" + vm.id()).start(listener::acceptLoop);
    return listener;
  }

  public int port() {
    return server.getLocalPort();
  }

  public String bindAddress() {
    return server.getInetAddress().getHostAddress();
  }

  public int clients() {
    return sessions.size();
  }

  public int accepted() {
    return accepted.get();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("standalone listener of VM {} stopped accepting: {}", vm.id(), e.getMessage());
        }
        return;
      }
      int conn = nextConn.getAndIncrement();
      try {
        socket.setTcpNoDelay(true);
        ClientSession session =
            new ClientSession(conn, socket, vm, limits, () -> sessions.remove(conn));
        sessions.put(conn, session);
        vm.submit(new InputEvent.Open(conn));
        accepted.incrementAndGet();
        session.start();
      } catch (IOException | RuntimeException e) {
        log.warn("VM {} refused client {}: {}", vm.id(), conn, e.getMessage());
        sessions.remove(conn);
        try {
          socket.close();
        } catch (IOException ignored) {
          // already failing
        }
      }
    }
  }

  @Override
  public void output(int conn, long interval, long offset, byte[] bytes) {
    ClientSession s = sessions.get(conn);
    if (s != null) {
      s.output(bytes);
    }
  }

  @Override
  public void closed(int conn, long interval, long endOffset) {
    ClientSession s = sessions.get(conn);
    if (s != null) {
      s.closeAfterOutput();
    }
  }

  @Override
  public void consumed(int conn, long offset) {
    ClientSession s = sessions.get(conn);
    if (s != null) {
      s.consumed(offset);
    }
  }

  @Override
  public void ended(int conn) {
    ClientSession s = sessions.get(conn);
    if (s != null) {
      s.ended();
    }
  }

  @Override
  public void crashed(GuestTrapException cause) {
    log.warn("VM {} crashed; closing its {} clients", vm.id(), sessions.size());
    sessions.values().forEach(ClientSession::abort);
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      log.debug("closing listener: {}", e.getMessage());
    }
    sessions.values().forEach(ClientSession::abort);
    vm.outputSink(OutputSink.DISCARD);
  }
}
