package dev.coloha.proxy.group;

import dev.coloha.proxy.ingress.ClientConnection;
import dev.coloha.proxy.ingress.ClientEvents;
import dev.coloha.proxy.ingress.ClientLoop;
import dev.coloha.proxy.ingress.Gate;
import dev.coloha.wire.GroupConflictException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group's client listener: accepts clients while a connection slot is free ({@link
 * ConnectionSlots}, {@code maxConnections}, resizable by a reconfiguration), numbers them strictly
 * increasing from 1 (u31, never reused while the group lives) and hands each new {@link
 * ClientConnection} to the group, whose {@link ClientLoop} (started here, one per group) reads it.
 */
final class ClientListener {
  private static final Logger log = LoggerFactory.getLogger(ClientListener.class);

  private final String group;
  private final ServerSocketChannel server;
  private volatile ClientLoop loop;
  private final ConnectionSlots slots;
  private final AtomicInteger nextConn = new AtomicInteger(1);
  private volatile boolean closed;

  private ClientListener(String group, ServerSocketChannel server, int maxConnections) {
    this.group = group;
    this.server = server;
    this.slots = new ConnectionSlots(maxConnections);
  }

  /** Binds {@code address:port} (0 picks a port); a port that cannot be bound is a conflict. */
  static ClientListener bind(String group, String address, int port, int maxConnections) {
    ServerSocketChannel server = null;
    try {
      server = ServerSocketChannel.open();
      server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
      server.bind(new InetSocketAddress(address, port), 1024);
    } catch (IOException e) {
      if (server != null) {
        try {
          server.close();
        } catch (IOException ignored) {
          // closing
        }
      }
      throw new GroupConflictException(
          "listen.port", "cannot listen on " + address + ":" + port + ": " + e.getMessage());
    }
    return new ClientListener(group, server, maxConnections);
  }

  int port() {
    return server.socket().getLocalPort();
  }

  /** New clients are numbered from {@code next} (a restarted proxy: above the replicas' ids). */
  void numberFrom(int next) {
    nextConn.set(next);
  }

  /**
   * Starts the group's client loop and accepts clients on a virtual thread until {@link #close()}.
   */
  void start(
      ProxySettings.Client client,
      long clientBuffer,
      ClientEvents events,
      Gate groupGate,
      Consumer<ClientConnection> accepted) {
    ClientLoop l = new ClientLoop(group, events, groupGate, (int) client.readBuffer());
    loop = l;
    l.start();
    if (closed) {
      l.close();
      return;
    }
    Thread.ofVirtual()
        .name("listen-" + group)
        .start(() -> acceptLoop(l, clientBuffer, events, groupGate, accepted));
  }

  private void acceptLoop(
      ClientLoop loop,
      long clientBuffer,
      ClientEvents events,
      Gate groupGate,
      Consumer<ClientConnection> accepted) {
    while (!closed) {
      try {
        if (!slots.awaitFree()) {
          return;
        }
      } catch (InterruptedException e) {
        return;
      }
      SocketChannel s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("group {}: accept failed: {}", group, e.getMessage());
        }
        continue;
      }
      if (!slots.tryTake()) {
        // the limit was lowered while this accept waited: refused like any client over it
        log.debug("group {}: connection refused, {} open", group, slots.open());
        close(s);
        continue;
      }
      int id = nextConn.getAndIncrement();
      if (id <= 0) {
        log.error("group {}: connection ids exhausted; refusing clients", group);
        slots.release();
        close(s);
        continue;
      }
      try {
        s.setOption(StandardSocketOptions.TCP_NODELAY, true);
      } catch (IOException ignored) {
        // best effort
      }
      accepted.accept(new ClientConnection(id, s, events, loop, groupGate, clientBuffer));
    }
  }

  /** A connection is over: its slot is free. */
  void released() {
    slots.release();
  }

  /**
   * A reconfiguration's {@code maxConnections}: raising it admits more clients at once; lowering it
   * keeps the open connections and admits new ones only once fewer than the limit are open.
   */
  void maxConnections(int limit) {
    slots.resize(limit);
  }

  private static void close(SocketChannel s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing
    }
  }

  /** Stops accepting (the group is deleted). */
  void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
    slots.close();
    ClientLoop l = loop;
    if (l != null) {
      l.close();
    }
  }
}
