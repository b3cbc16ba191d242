package dev.coloha.proxy.ingress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group's client event loop: one platform thread reads every client of the group with a {@link
 * Selector} (non-blocking sockets). Each round reads every ready client once (at most {@code
 * client.read-buffer} bytes each) and then tells the group {@link ClientEvents#readsDone()}: the
 * round's {@code DATA} frames, of all its clients, go to each agent's input stream in one write.
 * One wake-up reads all the clients that were ready together, instead of one thread woken per
 * client.
 *
 * <p>Replies are not written here: the thread that released them writes them without blocking
 * ({@link ClientConnection#send}); what the client's socket does not take waits in the connection's
 * queue, and this loop writes it when the socket is writable again. A client that does not read
 * therefore blocks nobody: its queue grows to {@code limits.client-buffer} and closes its own gate.
 *
 * <p>A connection whose gate (or the group's) is closed is not read: its read interest is dropped
 * until the gate opens ({@link Gate#onOpen} wakes the loop; it also looks every 200 ms).
 */
public final class ClientLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClientLoop.class);
  private static final long PAUSED_CHECK_MILLIS = 200;

  private final String name;
  private final ClientEvents events;
  private final Gate groupGate;
  private final Selector selector;
  private final ByteBuffer buffer;
  private final ConcurrentLinkedQueue<ClientConnection> joining = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Ending> ending = new ConcurrentLinkedQueue<>();
  private final List<ClientConnection> paused = new ArrayList<>();
  private volatile boolean closed;

  /**
   * @param readBuffer the most bytes one read of one client takes ({@code client.read-buffer})
   */
  public ClientLoop(String name, ClientEvents events, Gate groupGate, int readBuffer) {
    this.name = name;
    this.events = events;
    this.groupGate = groupGate;
    this.buffer = ByteBuffer.allocateDirect(readBuffer);
    try {
      this.selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts the loop's thread (a platform thread: it waits in the kernel's epoll itself). */
  public void start() {
    groupGate.onOpen(this::wakeup);
    Thread.ofPlatform().daemon().name("clients-" + name).start(this::run);
  }

  /** A new connection is read from the loop's next round on. */
  void join(ClientConnection c) {
    joining.add(c);
    wakeup();
  }

  /**
   * Ends {@code c} on the loop's thread: the thread that found it over (a write that failed, the
   * guest's close once the output is written) may hold the comparator's locks, which the group's
   * {@link ClientEvents#gone} takes.
   */
  void finishLater(ClientConnection c, String why) {
    ending.add(new Ending(c, why));
    wakeup();
  }

  private record Ending(ClientConnection c, String why) {}

  /** Wakes the loop (a gate opened, a connection joined, wants to write, or was closed). */
  void wakeup() {
    try {
      selector.wakeup();
    } catch (ClosedSelectorException ignored) {
      // the loop is over
    }
  }

  private void run() {
    try {
      while (!closed) {
        selector.select(paused.isEmpty() ? 0 : PAUSED_CHECK_MILLIS);
        joinNew();
        for (Ending e = ending.poll(); e != null; e = ending.poll()) {
          e.c().finish(e.why());
        }
        resumePaused();
        boolean read = false;
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
          SelectionKey k = it.next();
          it.remove();
          ClientConnection c = (ClientConnection) k.attachment();
          try {
            if (k.isValid() && k.isWritable()) {
              c.writeReady();
            }
            if (k.isValid() && k.isReadable()) {
              switch (c.readReady(buffer)) {
                case READ -> read = true;
                case PAUSED -> paused.add(c);
                case NOTHING -> {}
              }
            }
          } catch (RuntimeException e) {
            log.warn("client loop {}: connection {}: {}", name, c.id(), e.toString());
            c.finish("error: " + e.getMessage());
          }
        }
        if (read) {
          try {
            events.readsDone();
          } catch (RuntimeException e) {
            log.error("client loop {}: writing the round's input failed", name, e);
          }
        }
      }
    } catch (IOException | ClosedSelectorException e) {
      if (!closed) {
        log.error("client loop {} failed: {}", name, e.toString());
      }
    } catch (RuntimeException | Error e) {
      log.error("client loop {} failed", name, e);
    } finally {
      try {
        selector.close();
      } catch (IOException ignored) {
        // closing
      }
      for (ClientConnection c = joining.poll(); c != null; c = joining.poll()) {
        c.finish("client loop closed");
      }
      for (Ending e = ending.poll(); e != null; e = ending.poll()) {
        e.c().finish(e.why());
      }
    }
  }

  private void joinNew() {
    for (ClientConnection c = joining.poll(); c != null; c = joining.poll()) {
      try {
        c.register(selector);
      } catch (IOException | RuntimeException e) {
        c.finish("register: " + e.getMessage());
      }
    }
  }

  private void resumePaused() {
    if (paused.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    for (Iterator<ClientConnection> it = paused.iterator(); it.hasNext(); ) {
      ClientConnection c = it.next();
      if (c.over()) {
        it.remove();
      } else if (c.gatesOpen()) {
        it.remove();
        c.resume(now);
      }
    }
  }

  /** Stops the loop (the group is deleted); its connections are finished by the group. */
  @Override
  public void close() {
    closed = true;
    wakeup();
  }

  /** What one read of a ready client did. */
  enum Read {
    /** Bytes went to the group. */
    READ,
    /** A gate is closed: the connection is not read until it opens. */
    PAUSED,
    /** Nothing (end of input, an error, or no bytes after all). */
    NOTHING
  }
}
